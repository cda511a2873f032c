//! Response bodies: whole ones, the truncated one the `truncate` fault sends and the slow one
//! of `slow-body`.

use std::future::Future;
use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What polling a body for its next frame gives.
type Polled = Poll<Option<Result<Frame<Chunk>, BoxError>>>;

/// A response's bytes: shared, or owned as they were written. A written `Vec` goes out as it
/// is: made `Bytes`, it would cost an allocation of its own (it has room to spare), per response.
pub(crate) enum Chunk {
    Shared(Bytes),
    Owned(Cursor<Vec<u8>>),
}

impl Buf for Chunk {
    fn remaining(&self) -> usize {
        match self {
            Chunk::Shared(bytes) => bytes.remaining(),
            Chunk::Owned(owned) => owned.remaining(),
        }
    }

    fn chunk(&self) -> &[u8] {
        match self {
            Chunk::Shared(bytes) => bytes.chunk(),
            Chunk::Owned(owned) => owned.chunk(),
        }
    }

    fn advance(&mut self, count: usize) {
        match self {
            Chunk::Shared(bytes) => bytes.advance(count),
            Chunk::Owned(owned) => owned.advance(count),
        }
    }
}

impl From<Bytes> for Chunk {
    fn from(bytes: Bytes) -> Self {
        Chunk::Shared(bytes)
    }
}

impl From<Vec<u8>> for Chunk {
    fn from(bytes: Vec<u8>) -> Self {
        Chunk::Owned(Cursor::new(bytes))
    }
}

impl From<String> for Chunk {
    fn from(text: String) -> Self {
        Chunk::from(text.into_bytes())
    }
}

impl From<&'static str> for Chunk {
    fn from(text: &'static str) -> Self {
        Chunk::Shared(Bytes::from_static(text.as_bytes()))
    }
}

/// Every body the emulator answers with. An enum, not a boxed body: boxing cost an allocation
/// and dynamic calls on every response, for the two faults that need another kind.
pub(crate) enum ResponseBody {
    Whole(Full<Chunk>),
    Truncated(Truncated),
    Slow(Slow),
}

pub(crate) fn full(bytes: impl Into<Chunk>) -> ResponseBody {
    ResponseBody::Whole(Full::new(bytes.into()))
}

impl Body for ResponseBody {
    type Data = Chunk;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Polled {
        // Every variant is `Unpin`.
        match self.get_mut() {
            ResponseBody::Whole(whole) => Pin::new(whole)
                .poll_frame(cx)
                .map(|frame| frame.map(|frame| frame.map_err(|never| match never {}))),
            ResponseBody::Truncated(truncated) => truncated.poll_frame(cx),
            ResponseBody::Slow(slow) => slow.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Whole(whole) => whole.is_end_stream(),
            // It ends in an error, which is a frame still to come.
            ResponseBody::Truncated(_) => false,
            ResponseBody::Slow(slow) => slow.rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Whole(whole) => whole.size_hint(),
            ResponseBody::Truncated(truncated) => SizeHint::with_exact(truncated.full_len),
            ResponseBody::Slow(slow) => SizeHint::with_exact(slow.rest.len() as u64),
        }
    }
}

/// Sends half its bytes, pauses so they are flushed with the head, then fails, so the
/// connection is cut mid-body.
pub(crate) struct Truncated {
    part: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
    full_len: u64,
}

/// The first half of `whole`, then a broken connection.
pub(crate) fn truncated(whole: Bytes) -> ResponseBody {
    let full_len = whole.len() as u64;
    let part = whole.slice(..whole.len() / 2);
    let pause = Box::pin(tokio::time::sleep(std::time::Duration::from_millis(20)));
    ResponseBody::Truncated(Truncated { part: Some(part), pause, full_len })
}

impl Truncated {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Polled {
        if let Some(part) = self.part.take() {
            return Poll::Ready(Some(Ok(Frame::data(Chunk::Shared(part)))));
        }
        match self.pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err("truncated by fault injection".into()))),
        }
    }
}

/// Bytes of a slow body sent at once.
const SLOW_CHUNK: usize = 16;

/// Sends `SLOW_CHUNK` bytes, waits, sends the next, until all are sent.
pub(crate) struct Slow {
    rest: Bytes,
    every: std::time::Duration,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// All of `whole`, slowly: the first bytes at once, then `SLOW_CHUNK` bytes every `every`.
pub(crate) fn slow(whole: Bytes, every: std::time::Duration) -> ResponseBody {
    ResponseBody::Slow(Slow { rest: whole, every, pause: None })
}

impl Slow {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Polled {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(pause) = self.pause.as_mut()
            && pause.as_mut().poll(cx).is_pending()
        {
            return Poll::Pending;
        }
        let every = self.every;
        self.pause = Some(Box::pin(tokio::time::sleep(every)));
        let take = self.rest.len().min(SLOW_CHUNK);
        let chunk = self.rest.split_to(take);
        Poll::Ready(Some(Ok(Frame::data(Chunk::Shared(chunk)))))
    }
}
