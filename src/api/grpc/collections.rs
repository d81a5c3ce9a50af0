//! `qdrant.Collections`: collection and alias rpcs.

use std::sync::Arc;

use std::time::Instant;

use tonic::{Request, Response, Status};

use crate::api::grpc::proto::collections_server::Collections;
use crate::api::grpc::proto::*;
use crate::api::grpc::{auth, convert, elapsed, unimplemented};
use crate::auth::Requirement;
use crate::engine::Engine;

pub struct CollectionsService {
    engine: Arc<Engine>,
}

impl CollectionsService {
    pub fn new(engine: Arc<Engine>) -> Self {
        CollectionsService { engine }
    }
}

fn operation_response(result: bool, start: Instant) -> Response<CollectionOperationResponse> {
    Response::new(CollectionOperationResponse {
        result,
        time: elapsed(start),
    })
}

#[tonic::async_trait]
impl Collections for CollectionsService {
    async fn get(
        &self,
        request: Request<GetCollectionInfoRequest>,
    ) -> Result<Response<GetCollectionInfoResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let r = request.into_inner();
        let info = self.engine.collection(&r.collection_name)?.info();
        Ok(Response::new(GetCollectionInfoResponse {
            result: Some(convert::collections::info_out(&info)),
            time: elapsed(start),
        }))
    }
    async fn list(
        &self,
        request: Request<ListCollectionsRequest>,
    ) -> Result<Response<ListCollectionsResponse>, Status> {
        let start = Instant::now();
        auth::authorize(&request, Requirement::Authenticated)?;
        let access = auth::access(&request);
        let collections = self
            .engine
            .list_collections()
            .into_iter()
            .filter(|name| access.is_some_and(|a| a.can_see(name)))
            .map(|name| CollectionDescription { name })
            .collect();
        Ok(Response::new(ListCollectionsResponse {
            collections,
            time: elapsed(start),
        }))
    }
    async fn create(
        &self,
        request: Request<CreateCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Manage(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let (name, body) = convert::collections::create(request.into_inner())?;
        let result = self.engine.create_collection(&name, body).await?;
        Ok(operation_response(result, start))
    }
    async fn update(
        &self,
        request: Request<UpdateCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Manage(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let (name, body) = convert::collections::update(request.into_inner())?;
        let result = self.engine.update_collection(&name, body).await?;
        Ok(operation_response(result, start))
    }
    async fn delete(
        &self,
        request: Request<DeleteCollection>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Manage(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let name = request.into_inner().collection_name;
        let result = self.engine.delete_collection(&name).await?;
        Ok(operation_response(result, start))
    }
    async fn update_aliases(
        &self,
        request: Request<ChangeAliases>,
    ) -> Result<Response<CollectionOperationResponse>, Status> {
        auth::authorize(&request, Requirement::GlobalManage)?;
        let start = Instant::now();
        let actions = convert::collections::alias_actions(request.into_inner())?;
        let result = self.engine.update_aliases(actions).await?;
        Ok(operation_response(result, start))
    }
    async fn list_collection_aliases(
        &self,
        request: Request<ListCollectionAliasesRequest>,
    ) -> Result<Response<ListAliasesResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let name = request.into_inner().collection_name;
        let aliases = self.engine.list_aliases(Some(&name))?;
        Ok(Response::new(ListAliasesResponse {
            aliases: convert::collections::aliases_out(aliases),
            time: elapsed(start),
        }))
    }
    async fn list_aliases(
        &self,
        request: Request<ListAliasesRequest>,
    ) -> Result<Response<ListAliasesResponse>, Status> {
        let start = Instant::now();
        auth::authorize(&request, Requirement::Authenticated)?;
        let access = auth::access(&request);
        let mut aliases = self.engine.list_aliases(None)?;
        aliases.retain(|a| access.is_some_and(|x| x.can_see(&a.collection_name)));
        Ok(Response::new(ListAliasesResponse {
            aliases: convert::collections::aliases_out(aliases),
            time: elapsed(start),
        }))
    }
    async fn collection_cluster_info(
        &self,
        _: Request<CollectionClusterInfoRequest>,
    ) -> Result<Response<CollectionClusterInfoResponse>, Status> {
        Err(unimplemented("qdrant.Collections/CollectionClusterInfo"))
    }
    async fn collection_exists(
        &self,
        request: Request<CollectionExistsRequest>,
    ) -> Result<Response<CollectionExistsResponse>, Status> {
        auth::authorize(
            &request,
            Requirement::Read(&request.get_ref().collection_name),
        )?;
        let start = Instant::now();
        let exists = self
            .engine
            .collection_exists(&request.into_inner().collection_name);
        Ok(Response::new(CollectionExistsResponse {
            result: Some(CollectionExists { exists }),
            time: elapsed(start),
        }))
    }
    async fn update_collection_cluster_setup(
        &self,
        _: Request<UpdateCollectionClusterSetupRequest>,
    ) -> Result<Response<UpdateCollectionClusterSetupResponse>, Status> {
        Err(unimplemented(
            "qdrant.Collections/UpdateCollectionClusterSetup",
        ))
    }
    async fn create_shard_key(
        &self,
        _: Request<CreateShardKeyRequest>,
    ) -> Result<Response<CreateShardKeyResponse>, Status> {
        Err(unimplemented("qdrant.Collections/CreateShardKey"))
    }
    async fn delete_shard_key(
        &self,
        _: Request<DeleteShardKeyRequest>,
    ) -> Result<Response<DeleteShardKeyResponse>, Status> {
        Err(unimplemented("qdrant.Collections/DeleteShardKey"))
    }
    async fn list_shard_keys(
        &self,
        _: Request<ListShardKeysRequest>,
    ) -> Result<Response<ListShardKeysResponse>, Status> {
        Err(unimplemented("qdrant.Collections/ListShardKeys"))
    }
}
