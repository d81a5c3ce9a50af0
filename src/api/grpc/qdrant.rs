//! `qdrant.Qdrant`: the service-level health check.

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::qdrant_server::Qdrant;
use crate::api::grpc::proto::{HealthCheckReply, HealthCheckRequest};
use crate::api::rest::service::QDRANT_API_VERSION;

/// `qdrant.Qdrant/HealthCheck`, answering like `GET /`.
pub struct QdrantService;

#[tonic::async_trait]
impl Qdrant for QdrantService {
    async fn health_check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckReply>, Status> {
        Ok(Response::new(HealthCheckReply {
            title: crate::api::rest::service::TITLE.to_string(),
            version: QDRANT_API_VERSION.to_string(),
            commit: None,
        }))
    }
}
