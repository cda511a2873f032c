//! The baseline for `cargo xtask bench`: a bare hyper server with the emulator's runtime and
//! connection settings that answers every request with a fixed 200 JSON body of the size of a
//! success envelope, doing no work. The emulator's throughput is reported as a share of this.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

const BODY: &str = r#"{"code":"I102","message":"Phone Number created successfully.","data":[{"company_id":"ZEMU932d","phone_number":"+13236550017","country":"US","iso_code":"US","status":2,"description":null,"address":null,"email":null,"name":"xyz","website":[],"incoming_url":null,"category":null,"profile_image":null,"meta_value":null,"created_by":"HXXXXXXX071US","created_at":1795637072,"id":1,"notFirstRequest":0}],"error":{}}"#;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .max_headers(100)
            .max_buf_size(64 * 1024);
        let builder = std::sync::Arc::new(builder);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let builder = builder.clone();
            tokio::spawn(async move {
                let service =
                    service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
                        // Read the body, as the emulator must.
                        let _ = http_body_util::BodyExt::collect(request.into_body()).await;
                        let mut response =
                            hyper::Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                        response.headers_mut().insert(
                            "content-type",
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(response)
                    });
                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    })
}
