//! A `Write` that hands the package to an async HTTP body: bytes gathered
//! into chunks of [`CHUNK_BYTES`] and sent over a bounded channel, so the
//! blocking writer waits while the client is slow and at most `capacity`
//! chunks are ever queued.

use std::io::{self, Write};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

/// Bytes per chunk sent.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The sending end. Use it from a blocking thread
/// (`tokio::task::spawn_blocking`): a send waits for room in the channel,
/// which must not happen on an async worker (tokio panics if it does).
#[derive(Debug)]
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: BytesMut,
    closed: bool,
}

impl ChannelWriter {
    /// A writer and the receiver of its chunks, at most `capacity` chunks
    /// (at least one) waiting at a time. The receiver's items fit
    /// `axum::body::Body::from_stream` over a `ReceiverStream` as they are.
    pub fn channel(capacity: usize) -> (ChannelWriter, mpsc::Receiver<io::Result<Bytes>>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            ChannelWriter {
                tx,
                buf: BytesMut::with_capacity(CHUNK_BYTES),
                closed: false,
            },
            rx,
        )
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, BytesMut::with_capacity(CHUNK_BYTES));
        self.tx.blocking_send(Ok(chunk.freeze())).map_err(|_| {
            io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the package's reader has gone (the download was closed)",
            )
        })
    }

    /// Sends what is left and ends the stream as complete. A writer
    /// dropped without `close` (an error, a panic) ends it with an error
    /// item instead, so an HTTP body is cut off as failed rather than
    /// ending as if the package were whole.
    pub fn close(mut self) -> io::Result<()> {
        self.send()?;
        self.closed = true;
        Ok(())
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        if !self.closed {
            // `try_send`: a drop may happen anywhere, even on an async
            // worker. With the channel full the item is lost, but the
            // stream still ends before the ZIP's central directory, which
            // every unpacker refuses.
            let _ = self.tx.try_send(Err(io::Error::other(
                "the package was cut short by an error while it was written",
            )));
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.tx.is_closed() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the package's reader has gone (the download was closed)",
            ));
        }
        let room = CHUNK_BYTES - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
