//! `qdrant.Snapshots`: declared so clients see Qdrant's service, but Quiver has no snapshots
//! yet; every rpc answers `UNIMPLEMENTED` naming itself.

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::snapshots_server::Snapshots;
use crate::api::grpc::proto::*;
use crate::api::grpc::unimplemented;

pub struct SnapshotsService;

#[tonic::async_trait]
impl Snapshots for SnapshotsService {
    async fn create(
        &self,
        _: Request<CreateSnapshotRequest>,
    ) -> Result<Response<CreateSnapshotResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/Create"))
    }
    async fn list(
        &self,
        _: Request<ListSnapshotsRequest>,
    ) -> Result<Response<ListSnapshotsResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/List"))
    }
    async fn delete(
        &self,
        _: Request<DeleteSnapshotRequest>,
    ) -> Result<Response<DeleteSnapshotResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/Delete"))
    }
    async fn create_full(
        &self,
        _: Request<CreateFullSnapshotRequest>,
    ) -> Result<Response<CreateSnapshotResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/CreateFull"))
    }
    async fn list_full(
        &self,
        _: Request<ListFullSnapshotsRequest>,
    ) -> Result<Response<ListSnapshotsResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/ListFull"))
    }
    async fn delete_full(
        &self,
        _: Request<DeleteFullSnapshotRequest>,
    ) -> Result<Response<DeleteSnapshotResponse>, Status> {
        Err(unimplemented("qdrant.Snapshots/DeleteFull"))
    }
}
