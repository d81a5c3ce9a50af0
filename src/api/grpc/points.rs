//! `qdrant.Points`: point writes and reads.

use std::sync::Arc;

use std::time::Instant;

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::points_server::Points;
use crate::api::grpc::proto::*;
use crate::api::grpc::{auth, convert, elapsed};
use crate::auth::Requirement;
use crate::engine::Engine;
use crate::error::Error;
use crate::model::operations::PointOperation;

pub struct PointsService {
    engine: Arc<Engine>,
}

impl PointsService {
    pub fn new(engine: Arc<Engine>) -> Self {
        PointsService { engine }
    }

    /// Applies one converted write operation, as the REST write endpoints do.
    async fn write(
        &self,
        name: &str,
        wait: Option<bool>,
        op: Result<PointOperation, Error>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        let start = Instant::now();
        let op = op?;
        let collection = self.engine.collection(name)?;
        let results = collection.update(vec![op], wait.unwrap_or(false)).await?;
        Ok(Response::new(PointsOperationResponse {
            result: results.first().map(convert::update_result_out),
            time: elapsed(start),
            usage: None,
        }))
    }

    /// Runs universal queries on one collection, one result list each, in order.
    async fn batch(
        &self,
        name: String,
        queries: Vec<crate::model::query::UniversalQuery>,
    ) -> Result<Vec<BatchResult>, Error> {
        let results = self
            .engine
            .read(move |e| e.query_batch(&name, &queries))
            .await?;
        Ok(results
            .iter()
            .map(|hits| BatchResult {
                result: hits.iter().map(convert::scored_point_out).collect(),
            })
            .collect())
    }
}

#[tonic::async_trait]
impl Points for PointsService {
    async fn upsert(
        &self,
        request: Request<UpsertPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::upsert(r)).await
    }
    async fn delete(
        &self,
        request: Request<DeletePoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::delete(r)).await
    }
    async fn get(&self, request: Request<GetPoints>) -> Result<Response<GetResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::points::get(r)?.into_query();
        let records = self.engine.collection(&name)?.retrieve(&query);
        Ok(Response::new(GetResponse {
            result: records.iter().map(convert::record_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn update_vectors(
        &self,
        request: Request<UpdatePointVectors>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::update_vectors(r))
            .await
    }
    async fn delete_vectors(
        &self,
        request: Request<DeletePointVectors>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::delete_vectors(r))
            .await
    }
    async fn set_payload(
        &self,
        request: Request<SetPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::set_payload(r))
            .await
    }
    async fn overwrite_payload(
        &self,
        request: Request<SetPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::overwrite_payload(r))
            .await
    }
    async fn delete_payload(
        &self,
        request: Request<DeletePayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::delete_payload(r))
            .await
    }
    async fn clear_payload(
        &self,
        request: Request<ClearPayloadPoints>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait);
        self.write(&name, wait, convert::points::clear_payload(r))
            .await
    }
    async fn create_field_index(
        &self,
        request: Request<CreateFieldIndexCollection>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::CollectionWrite(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let (name, wait) = (r.collection_name.clone(), r.wait.unwrap_or(false));
        let (field, schema) = convert::payload_index::create_field_index(r)?;
        let collection = self.engine.collection(&name)?;
        let result = collection.create_field_index(&field, schema, wait).await?;
        Ok(Response::new(PointsOperationResponse {
            result: Some(convert::update_result_out(&result)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn delete_field_index(
        &self,
        request: Request<DeleteFieldIndexCollection>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::CollectionWrite(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let field = convert::json_path(r.field_name)?;
        let collection = self.engine.collection(&r.collection_name)?;
        let result = collection
            .delete_field_index(&field, r.wait.unwrap_or(false))
            .await?;
        Ok(Response::new(PointsOperationResponse {
            result: Some(convert::update_result_out(&result)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn create_vector_name(
        &self,
        request: Request<CreateVectorNameRequest>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::CollectionWrite(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let params = convert::collections::vector_name_config(r.vector_config)?
            .into_params(&r.vector_name)?;
        let result = self
            .engine
            .create_vector_name(
                &r.collection_name,
                &r.vector_name,
                params,
                r.wait.unwrap_or(false),
            )
            .await?;
        Ok(Response::new(PointsOperationResponse {
            result: Some(convert::update_result_out(&result)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn delete_vector_name(
        &self,
        request: Request<DeleteVectorNameRequest>,
    ) -> Result<Response<PointsOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::CollectionWrite(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let result = self
            .engine
            .delete_vector_name(&r.collection_name, &r.vector_name, r.wait.unwrap_or(false))
            .await?;
        Ok(Response::new(PointsOperationResponse {
            result: Some(convert::update_result_out(&result)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn search(
        &self,
        request: Request<SearchPoints>,
    ) -> Result<Response<SearchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::points::search(r)?.into_query("")?;
        let hits = self.engine.read(move |e| e.query(&name, &query)).await?;
        Ok(Response::new(SearchResponse {
            result: hits.iter().map(convert::scored_point_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn search_batch(
        &self,
        request: Request<SearchBatchPoints>,
    ) -> Result<Response<SearchBatchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let queries = r
            .search_points
            .into_iter()
            .enumerate()
            .map(|(i, s)| convert::points::search(s)?.into_query(&format!("searches[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self.batch(r.collection_name, queries).await?;
        Ok(Response::new(SearchBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn search_groups(
        &self,
        request: Request<SearchPointGroups>,
    ) -> Result<Response<SearchGroupsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::legacy::search_groups(r)?.into_query()?;
        let groups = self
            .engine
            .read(move |e| e.query_groups(&name, &query))
            .await?;
        Ok(Response::new(SearchGroupsResponse {
            result: Some(convert::legacy::groups_out(&groups)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn scroll(
        &self,
        request: Request<ScrollPoints>,
    ) -> Result<Response<ScrollResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::points::scroll(r)?.into_query()?;
        let page = self.engine.collection(&name)?.scroll(&query)?;
        Ok(Response::new(ScrollResponse {
            next_page_offset: page.next_page_offset.map(convert::point_id_out),
            result: page.points.iter().map(convert::record_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn recommend(
        &self,
        request: Request<RecommendPoints>,
    ) -> Result<Response<RecommendResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::legacy::recommend(r)?.into_query("")?;
        let hits = self.engine.read(move |e| e.query(&name, &query)).await?;
        Ok(Response::new(RecommendResponse {
            result: hits.iter().map(convert::scored_point_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn recommend_batch(
        &self,
        request: Request<RecommendBatchPoints>,
    ) -> Result<Response<RecommendBatchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let queries = r
            .recommend_points
            .into_iter()
            .enumerate()
            .map(|(i, q)| convert::legacy::recommend(q)?.into_query(&format!("searches[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(RecommendBatchResponse {
            result: self.batch(r.collection_name, queries).await?,
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn recommend_groups(
        &self,
        request: Request<RecommendPointGroups>,
    ) -> Result<Response<RecommendGroupsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::legacy::recommend_groups(r)?.into_query()?;
        let groups = self
            .engine
            .read(move |e| e.query_groups(&name, &query))
            .await?;
        Ok(Response::new(RecommendGroupsResponse {
            result: Some(convert::legacy::groups_out(&groups)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn discover(
        &self,
        request: Request<DiscoverPoints>,
    ) -> Result<Response<DiscoverResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::legacy::discover(r)?.into_query("")?;
        let hits = self.engine.read(move |e| e.query(&name, &query)).await?;
        Ok(Response::new(DiscoverResponse {
            result: hits.iter().map(convert::scored_point_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn discover_batch(
        &self,
        request: Request<DiscoverBatchPoints>,
    ) -> Result<Response<DiscoverBatchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let queries = r
            .discover_points
            .into_iter()
            .enumerate()
            .map(|(i, q)| convert::legacy::discover(q)?.into_query(&format!("searches[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(DiscoverBatchResponse {
            result: self.batch(r.collection_name, queries).await?,
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn count(
        &self,
        request: Request<CountPoints>,
    ) -> Result<Response<CountResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let body = convert::points::count(r)?;
        if let Some(f) = &body.filter {
            f.validate()?;
        }
        let count = self.engine.collection(&name)?.count(body.filter.as_ref());
        Ok(Response::new(CountResponse {
            result: Some(CountResult { count }),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn update_batch(
        &self,
        request: Request<UpdateBatchPoints>,
    ) -> Result<Response<UpdateBatchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Write(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let ops = r
            .operations
            .into_iter()
            .map(convert::points::batch_operation)
            .collect::<Result<Vec<_>, _>>()?;
        let collection = self.engine.collection(&r.collection_name)?;
        let results = collection.update(ops, r.wait.unwrap_or(false)).await?;
        Ok(Response::new(UpdateBatchResponse {
            result: results.iter().map(convert::update_result_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn query(
        &self,
        request: Request<QueryPoints>,
    ) -> Result<Response<QueryResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::points::query(r)?.into_query("")?;
        let hits = self.engine.read(move |e| e.query(&name, &query)).await?;
        Ok(Response::new(QueryResponse {
            result: hits.iter().map(convert::scored_point_out).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn query_batch(
        &self,
        request: Request<QueryBatchPoints>,
    ) -> Result<Response<QueryBatchResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let queries = r
            .query_points
            .into_iter()
            .enumerate()
            .map(|(i, q)| convert::points::query(q)?.into_query(&format!("searches[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self.batch(r.collection_name, queries).await?;
        Ok(Response::new(QueryBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn query_groups(
        &self,
        request: Request<QueryPointGroups>,
    ) -> Result<Response<QueryGroupsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::legacy::query_groups(r)?.into_query()?;
        let groups = self
            .engine
            .read(move |e| e.query_groups(&name, &query))
            .await?;
        Ok(Response::new(QueryGroupsResponse {
            result: Some(convert::legacy::groups_out(&groups)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn facet(
        &self,
        request: Request<FacetCounts>,
    ) -> Result<Response<FacetResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::explore::facet(r)?.into_query()?;
        let response = self.engine.collection(&name)?.facet(&query)?;
        Ok(Response::new(FacetResponse {
            hits: response
                .hits
                .iter()
                .map(convert::explore::facet_hit_out)
                .collect(),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn search_matrix_pairs(
        &self,
        request: Request<SearchMatrixPoints>,
    ) -> Result<Response<SearchMatrixPairsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::explore::search_matrix(r)?.into_query()?;
        let matrix = self.engine.collection(&name)?.search_matrix(&query)?;
        Ok(Response::new(SearchMatrixPairsResponse {
            result: Some(convert::explore::matrix_pairs_out(&matrix)),
            time: elapsed(start),
            usage: None,
        }))
    }
    async fn search_matrix_offsets(
        &self,
        request: Request<SearchMatrixPoints>,
    ) -> Result<Response<SearchMatrixOffsetsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let name = r.collection_name.clone();
        let query = convert::explore::search_matrix(r)?.into_query()?;
        let matrix = self.engine.collection(&name)?.search_matrix(&query)?;
        Ok(Response::new(SearchMatrixOffsetsResponse {
            result: Some(convert::explore::matrix_offsets_out(&matrix)),
            time: elapsed(start),
            usage: None,
        }))
    }
}
