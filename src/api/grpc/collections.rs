//! `qdrant.Collections`: collection and alias rpcs.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::collections_server::Collections;
use crate::api::grpc::proto::*;
use crate::api::grpc::unimplemented;
use crate::engine::Engine;

pub struct CollectionsService {
    engine: Arc<Engine>,
}

impl CollectionsService {
    pub fn new(engine: Arc<Engine>) -> Self {
        CollectionsService { engine }
    }
}

#[tonic::async_trait]
impl Collections for CollectionsService {
    async fn get(
        &self,
        _: Request<GetCollectionInfoRequest>,
    ) -> Result<Response<GetCollectionInfoResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/Get"))
    }
    async fn list(
        &self,
        _: Request<ListCollectionsRequest>,
    ) -> Result<Response<ListCollectionsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/List"))
    }
    async fn create(
        &self,
        _: Request<CreateCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/Create"))
    }
    async fn update(
        &self,
        _: Request<UpdateCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/Update"))
    }
    async fn delete(
        &self,
        _: Request<DeleteCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/Delete"))
    }
    async fn update_aliases(
        &self,
        _: Request<ChangeAliases>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/UpdateAliases"))
    }
    async fn list_collection_aliases(
        &self,
        _: Request<ListCollectionAliasesRequest>,
    ) -> Result<Response<ListAliasesResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/ListCollectionAliases"))
    }
    async fn list_aliases(
        &self,
        _: Request<ListAliasesRequest>,
    ) -> Result<Response<ListAliasesResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/ListAliases"))
    }
    async fn collection_cluster_info(
        &self,
        _: Request<CollectionClusterInfoRequest>,
    ) -> Result<Response<CollectionClusterInfoResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/CollectionClusterInfo"))
    }
    async fn collection_exists(
        &self,
        _: Request<CollectionExistsRequest>,
    ) -> Result<Response<CollectionExistsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/CollectionExists"))
    }
    async fn update_collection_cluster_setup(
        &self,
        _: Request<UpdateCollectionClusterSetupRequest>,
    ) -> Result<Response<UpdateCollectionClusterSetupResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented(
            "qdrant.Collections/UpdateCollectionClusterSetup",
        ))
    }
    async fn create_shard_key(
        &self,
        _: Request<CreateShardKeyRequest>,
    ) -> Result<Response<CreateShardKeyResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/CreateShardKey"))
    }
    async fn delete_shard_key(
        &self,
        _: Request<DeleteShardKeyRequest>,
    ) -> Result<Response<DeleteShardKeyResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/DeleteShardKey"))
    }
    async fn list_shard_keys(
        &self,
        _: Request<ListShardKeysRequest>,
    ) -> Result<Response<ListShardKeysResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Collections/ListShardKeys"))
    }
}
