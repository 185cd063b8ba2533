//! A connection that sends at most so many bytes a second: a slow link, for benchmarks that must
//! show what compression and pipelining buy on a real network.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream whose writes are paced to `bytes_per_second` (unpaced when `None`); reads pass through.
pub(crate) struct Throttled<S> {
    inner: S,
    bytes_per_second: Option<u64>,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Throttled<S> {
    pub(crate) fn new(inner: S, bytes_per_second: Option<u64>) -> Self {
        Self {
            inner,
            bytes_per_second: bytes_per_second.filter(|&rate| rate > 0),
            wait: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Throttled<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Throttled<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(rate) = self.bytes_per_second else {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        };
        if let Some(wait) = self.wait.as_mut() {
            ready!(wait.as_mut().poll(cx));
            self.wait = None;
        }
        // A hundredth of a second's worth at a time keeps the pace even.
        let slice = usize::try_from(rate / 100).unwrap_or(usize::MAX).max(1);
        let written =
            ready!(Pin::new(&mut self.inner).poll_write(cx, &buf[..buf.len().min(slice)]))?;
        let pause = Duration::from_secs_f64(written as f64 / rate as f64);
        self.wait = Some(Box::pin(tokio::time::sleep(pause)));
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
