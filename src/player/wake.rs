//! A single-threaded "something changed" signal for the player's futures: a
//! seek waits on it for its frame to come out of the decoder, the decode
//! loop waits on it for work. Browser callbacks (decoder output, errors)
//! call `notify`; everything runs on the page's one thread.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct Notify {
    epoch: Cell<u64>,
    wakers: RefCell<Vec<Waker>>,
}

impl Notify {
    /// Wakes everything waiting in `changed`.
    pub fn notify(&self) {
        self.epoch.set(self.epoch.get().wrapping_add(1));
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Resolves at the next `notify` after this call. Callers re-check their
    /// condition after it resolves (several changes may have happened).
    pub fn changed(&self) -> Changed<'_> {
        Changed {
            notify: self,
            seen: self.epoch.get(),
        }
    }
}

pub struct Changed<'a> {
    notify: &'a Notify,
    seen: u64,
}

impl Future for Changed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.notify.epoch.get() != self.seen {
            return Poll::Ready(());
        }
        let mut wakers = self.notify.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
