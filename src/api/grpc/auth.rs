//! The gRPC auth layer: authenticates every call before it reaches a service, with the same
//! function as REST, and leaves the [`Access`] in the request's extensions; each rpc then checks
//! what it needs with [`authorize`], once it knows the collection from the message.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::transport::server::TcpConnectInfo;
use tower::{Layer, Service};

use crate::auth::{Access, Auth, Requirement};
use crate::engine::Engine;

/// Calls that answer without a credential: the two health checks (as in Qdrant) and server
/// reflection, which only describes the public schema.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/qdrant.Qdrant/HealthCheck"
            | "/grpc.health.v1.Health/Check"
            | "/grpc.health.v1.Health/Watch"
            | "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
            | "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
    )
}

/// Who called which rpc, kept beside the [`Access`] for the audit line of a refusal.
#[derive(Clone, Debug)]
struct Call {
    client: Option<IpAddr>,
    rpc: String,
}

/// Checks `requirement` against the [`Access`] the layer decided for this call. A call that
/// reached a service without one is refused: the layer always sets it.
pub fn authorize<T>(
    request: &tonic::Request<T>,
    requirement: Requirement<'_>,
) -> Result<(), Status> {
    match request.extensions().get::<Access>() {
        Some(access) => access.require(requirement).map_err(|e| {
            let call = request.extensions().get::<Call>();
            crate::api::audit(
                call.and_then(|c| c.client),
                &access.key_name,
                call.map_or("unknown rpc", |c| c.rpc.as_str()),
                &e,
            );
            Status::from(e)
        }),
        None => Err(Status::internal("the request was not authenticated")),
    }
}

/// The caller's access, for filtering listings.
pub fn access<T>(request: &tonic::Request<T>) -> Option<&Access> {
    request.extensions().get::<Access>()
}

/// The client's address, from the connection info tonic attaches.
pub fn peer_ip<B>(request: &http::Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .map(|a| a.ip())
}

#[derive(Clone)]
pub struct AuthLayer {
    pub auth: Arc<Auth>,
    pub engine: Arc<Engine>,
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
            engine: self.engine.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Auth>,
    engine: Arc<Engine>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B, R> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The clone that was made ready is the one that serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path().to_string();
        let client = peer_ip(&request);
        let decided = if exempt(&path) {
            Ok(Access::open())
        } else {
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            crate::api::authenticate(
                &self.auth,
                &self.engine,
                header("api-key").as_deref(),
                header("authorization").as_deref(),
                client,
                &path,
            )
        };
        match decided {
            Ok(access) => {
                request.extensions_mut().insert(access);
                request.extensions_mut().insert(Call { client, rpc: path });
                Box::pin(inner.call(request))
            }
            Err(e) => {
                let response = Status::from(e).into_http();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
