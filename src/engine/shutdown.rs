//! Shutdown requests from signals: the first asks for a graceful stop, the second for
//! killing at once (the third exits the process; see `app`).

use tokio::sync::watch;

/// Which signal came, and how many have come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals {
    pub count: u32,
    pub last: i32,
}

/// The receiving side: engines `select!` on it beside every wait.
#[derive(Clone)]
pub struct Shutdown {
    rx: watch::Receiver<Signals>,
}

/// The sending side, fed by the signal handlers.
pub struct ShutdownTrigger {
    tx: watch::Sender<Signals>,
}

impl Shutdown {
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(Signals::default());
        (ShutdownTrigger { tx }, Shutdown { rx })
    }

    /// A shutdown that never comes (for work that must not be interrupted, and tests).
    pub fn never() -> Shutdown {
        // With the trigger gone, waiting for a signal pends forever.
        Shutdown::new().1
    }

    async fn at_least(&mut self, count: u32) {
        // The trigger lives as long as the process; if it is gone, nothing will come.
        if self.rx.wait_for(|s| s.count >= count).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Resolves once a graceful stop has been asked for.
    pub async fn requested(&mut self) {
        self.at_least(1).await
    }

    /// Resolves once a second signal asks to kill at once.
    pub async fn escalated(&mut self) {
        self.at_least(2).await
    }

    pub fn is_requested(&self) -> bool {
        self.rx.borrow().count >= 1
    }

    /// The last signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        let s = *self.rx.borrow();
        (s.count > 0).then_some(s.last)
    }
}

impl ShutdownTrigger {
    /// Records a signal; returns how many have come.
    pub fn fire(&self, signal: i32) -> u32 {
        let mut count = 0;
        self.tx.send_modify(|s| {
            s.count += 1;
            s.last = signal;
            count = s.count;
        });
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_signal_requests_second_escalates() {
        let (trigger, mut shutdown) = Shutdown::new();
        assert!(!shutdown.is_requested());
        assert_eq!(trigger.fire(2), 1);
        shutdown.requested().await;
        assert_eq!(shutdown.signal(), Some(2));
        let mut s2 = shutdown.clone();
        let escalated = tokio::spawn(async move { s2.escalated().await });
        tokio::task::yield_now().await;
        assert!(!escalated.is_finished());
        trigger.fire(15);
        escalated.await.unwrap();
        assert_eq!(shutdown.signal(), Some(15));
    }
}
