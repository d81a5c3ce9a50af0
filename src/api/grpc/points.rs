//! `qdrant.Points`: point writes and reads.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::points_server::Points;
use crate::api::grpc::proto::*;
use crate::api::grpc::unimplemented;
use crate::engine::Engine;

pub struct PointsService {
    engine: Arc<Engine>,
}

impl PointsService {
    pub fn new(engine: Arc<Engine>) -> Self {
        PointsService { engine }
    }
}

#[tonic::async_trait]
impl Points for PointsService {
    async fn upsert(
        &self,
        _: Request<UpsertPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Upsert"))
    }
    async fn delete(
        &self,
        _: Request<DeletePoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Delete"))
    }
    async fn get(&self, _: Request<GetPoints>) -> Result<Response<GetResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Get"))
    }
    async fn update_vectors(
        &self,
        _: Request<UpdatePointVectors>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/UpdateVectors"))
    }
    async fn delete_vectors(
        &self,
        _: Request<DeletePointVectors>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/DeleteVectors"))
    }
    async fn set_payload(
        &self,
        _: Request<SetPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/SetPayload"))
    }
    async fn overwrite_payload(
        &self,
        _: Request<SetPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/OverwritePayload"))
    }
    async fn delete_payload(
        &self,
        _: Request<DeletePayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/DeletePayload"))
    }
    async fn clear_payload(
        &self,
        _: Request<ClearPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/ClearPayload"))
    }
    async fn create_field_index(
        &self,
        _: Request<CreateFieldIndexCollection>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/CreateFieldIndex"))
    }
    async fn delete_field_index(
        &self,
        _: Request<DeleteFieldIndexCollection>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/DeleteFieldIndex"))
    }
    async fn create_vector_name(
        &self,
        _: Request<CreateVectorNameRequest>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/CreateVectorName"))
    }
    async fn delete_vector_name(
        &self,
        _: Request<DeleteVectorNameRequest>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/DeleteVectorName"))
    }
    async fn search(&self, _: Request<SearchPoints>) -> Result<Response<SearchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Search"))
    }
    async fn search_batch(
        &self,
        _: Request<SearchBatchPoints>,
    ) -> Result<Response<SearchBatchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/SearchBatch"))
    }
    async fn search_groups(
        &self,
        _: Request<SearchPointGroups>,
    ) -> Result<Response<SearchGroupsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/SearchGroups"))
    }
    async fn scroll(&self, _: Request<ScrollPoints>) -> Result<Response<ScrollResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Scroll"))
    }
    async fn recommend(
        &self,
        _: Request<RecommendPoints>,
    ) -> Result<Response<RecommendResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Recommend"))
    }
    async fn recommend_batch(
        &self,
        _: Request<RecommendBatchPoints>,
    ) -> Result<Response<RecommendBatchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/RecommendBatch"))
    }
    async fn recommend_groups(
        &self,
        _: Request<RecommendPointGroups>,
    ) -> Result<Response<RecommendGroupsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/RecommendGroups"))
    }
    async fn discover(
        &self,
        _: Request<DiscoverPoints>,
    ) -> Result<Response<DiscoverResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Discover"))
    }
    async fn discover_batch(
        &self,
        _: Request<DiscoverBatchPoints>,
    ) -> Result<Response<DiscoverBatchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/DiscoverBatch"))
    }
    async fn count(&self, _: Request<CountPoints>) -> Result<Response<CountResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Count"))
    }
    async fn update_batch(
        &self,
        _: Request<UpdateBatchPoints>,
    ) -> Result<Response<UpdateBatchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/UpdateBatch"))
    }
    async fn query(&self, _: Request<QueryPoints>) -> Result<Response<QueryResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Query"))
    }
    async fn query_batch(
        &self,
        _: Request<QueryBatchPoints>,
    ) -> Result<Response<QueryBatchResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/QueryBatch"))
    }
    async fn query_groups(
        &self,
        _: Request<QueryPointGroups>,
    ) -> Result<Response<QueryGroupsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/QueryGroups"))
    }
    async fn facet(&self, _: Request<FacetCounts>) -> Result<Response<FacetResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/Facet"))
    }
    async fn search_matrix_pairs(
        &self,
        _: Request<SearchMatrixPoints>,
    ) -> Result<Response<SearchMatrixPairsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/SearchMatrixPairs"))
    }
    async fn search_matrix_offsets(
        &self,
        _: Request<SearchMatrixPoints>,
    ) -> Result<Response<SearchMatrixOffsetsResponse>, Status> {
        let _ = &self.engine;
        Err(unimplemented("qdrant.Points/SearchMatrixOffsets"))
    }
}
