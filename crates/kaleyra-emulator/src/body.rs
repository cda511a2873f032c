//! Response bodies: whole ones, and the truncated one the `truncate` fault sends.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, SizeHint};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type ResponseBody = BoxBody<Bytes, BoxError>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// Sends its bytes, then fails, so the connection is cut mid-body.
pub(crate) struct Truncated {
    part: Option<Bytes>,
    full_len: u64,
}

impl Truncated {
    pub(crate) fn new(whole: Bytes) -> ResponseBody {
        let full_len = whole.len() as u64;
        let part = whole.slice(..whole.len() / 2);
        Truncated { part: Some(part), full_len }.boxed()
    }
}

impl Body for Truncated {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.part.take() {
            Some(part) => Poll::Ready(Some(Ok(Frame::data(part)))),
            None => Poll::Ready(Some(Err("truncated by fault injection".into()))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full_len)
    }
}
