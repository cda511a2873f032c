//! The shared pacing of all senders: the rate limit, and pauses the API asked for.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::adaptive::Limiter;

/// The shared pacing of all workers: the rate limit, and pauses the API asked for.
pub(super) struct Gate {
    interval: Option<Duration>,
    schedule: Mutex<Schedule>,
}

/// The turns handed out so far.
struct Schedule {
    /// The earliest start of the next turn.
    next_turn: Instant,
    paused_until: Instant,
    /// The learnt rate's cuts when the turns still waiting were handed out.
    cuts: u64,
}

impl Gate {
    pub(super) fn new(rate_per_second: Option<f64>) -> Self {
        let now = Instant::now();
        let schedule = Schedule { next_turn: now, paused_until: now, cuts: 0 };
        // A rate that is no number or not above zero limits nothing, as `rows_ahead` reads it.
        let interval = rate_per_second.filter(|rate| rate.is_finite() && *rate > 0.0);
        Gate { interval: interval.map(interval_of), schedule: Mutex::new(schedule) }
    }

    /// Waits for this worker's turn (no timer at all when it is now): the hard rate, the rate
    /// the limiter learnt, whichever is slower, and any pause. A cut of the learnt rate or a
    /// pause while it waits hands its turn out again: the turns ahead may reach a second out,
    /// and the server has just refused their pace.
    pub(super) async fn wait(&self, limiter: &Limiter) {
        loop {
            let pace = limiter.pace();
            let learnt = pace.rate.map(interval_of);
            let interval = match (self.interval, learnt) {
                (Some(hard), Some(learnt)) => Some(hard.max(learnt)),
                (hard, learnt) => hard.or(learnt),
            };
            let now = Instant::now();
            let at = {
                let mut schedule = self.schedule.lock().unwrap_or_else(PoisonError::into_inner);
                if schedule.cuts != pace.cuts {
                    schedule.cuts = pace.cuts;
                    if let Some(interval) = interval {
                        schedule.next_turn = schedule.next_turn.min(later(now, interval));
                    }
                }
                let mut at = now.max(schedule.paused_until);
                if let Some(interval) = interval {
                    at = at.max(schedule.next_turn);
                    schedule.next_turn = later(at, interval);
                }
                at
            };
            if at <= now {
                return;
            }
            // The learnt rate grows only while it is what holds the import back.
            if learnt.is_some_and(|learnt| Some(learnt) == interval) {
                limiter.rate_was_bound();
            }
            tokio::time::sleep_until(at).await;
            let paused = self.schedule.lock().unwrap_or_else(PoisonError::into_inner).paused_until;
            if limiter.pace().cuts == pace.cuts && paused <= Instant::now() {
                return;
            }
        }
    }

    /// Holds every worker back for `duration`.
    pub(super) fn pause(&self, duration: Duration) {
        let mut schedule = self.schedule.lock().unwrap_or_else(PoisonError::into_inner);
        schedule.paused_until = schedule.paused_until.max(later(Instant::now(), duration));
    }
}

/// The gap between two requests at `rate` per second (a positive number); a rate too small
/// for a `Duration` (1e-20/s) is a day between requests.
fn interval_of(rate: f64) -> Duration {
    Duration::try_from_secs_f64(1.0 / rate).unwrap_or(MAX_INTERVAL).min(MAX_INTERVAL)
}

/// The longest gap the rate may put between two requests.
pub(super) const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// `at + duration`, saturating a day ahead rather than overflowing.
pub(super) fn later(at: Instant, duration: Duration) -> Instant {
    at.checked_add(duration.min(MAX_INTERVAL)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use tokio::task::JoinHandle;

    use super::*;
    use crate::adaptive::{Answer, Controller};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// `n` workers waiting for their turns from now on.
    fn waiting(gate: &Arc<Gate>, limiter: &Arc<Limiter>, n: usize) -> Vec<JoinHandle<Instant>> {
        (0..n)
            .map(|_| {
                let (gate, limiter) = (gate.clone(), limiter.clone());
                tokio::spawn(async move {
                    gate.wait(&limiter).await;
                    Instant::now()
                })
            })
            .collect()
    }

    /// When the workers' turns came, earliest first.
    async fn turns(workers: Vec<JoinHandle<Instant>>) -> Vec<Instant> {
        let mut turns = Vec::new();
        for worker in workers {
            turns.push(worker.await.unwrap());
        }
        turns.sort();
        turns
    }

    /// One answer through the limiter, now.
    async fn answer(limiter: &Limiter, answer: Answer) {
        let mut permit = limiter.acquire().await;
        permit.sending();
        permit.finish(answer);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_of_the_rate_reschedules_the_turns_handed_out_before_it() {
        // 200 answers in a second with 50 in flight, then a 429: about 194 a second, a turn
        // every 5 ms, and 47 slots.
        let start = Instant::now();
        let mut controller = Controller::adaptive(64, 1000, start);
        for i in 1..=200 {
            controller.learn(Answer::Accepted(ms(5)), 50, start + ms(5 * i));
        }
        controller.learn(Answer::Throttled, 50, start + ms(1000));
        tokio::time::advance(ms(1000)).await;
        let limiter = Arc::new(Limiter::new(controller));
        assert!(limiter.pace().rate.is_some_and(|rate| (rate - 194.0).abs() < 2.0));
        // 750 ms on, 40 workers take turns reaching 200 ms ahead.
        tokio::time::advance(ms(750)).await;
        let gate = Arc::new(Gate::new(None));
        let started = Instant::now();
        let workers = waiting(&gate, &limiter, 40);
        // 50 ms later a 429 cuts the rate to what the last second took: about 40 answers, a
        // turn every 25 ms.
        tokio::time::sleep(ms(50)).await;
        answer(&limiter, Answer::Throttled).await;
        let cut = Instant::now();
        let rate = limiter.pace().rate.unwrap();
        assert!((38.0..41.0).contains(&rate), "{rate}");
        let turns = turns(workers).await;
        let before = turns.iter().filter(|at| **at <= cut).count();
        assert!((9..=11).contains(&before), "{before} turns before the cut");
        // From the cut on, no two turns closer than the new pace allows (25 ms, a little less
        // as the rate grows back): none at the old 5 ms.
        let after: Vec<_> = turns.iter().filter(|at| **at > cut).collect();
        for pair in after.windows(2) {
            let gap = pair[1].duration_since(*pair[0]);
            assert!(gap >= ms(24), "{gap:?}");
        }
        assert!(turns.last().unwrap().duration_since(started) > ms(500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_the_turns_already_handed_out() {
        let limiter = Arc::new(Limiter::new(Controller::fixed(8, Instant::now())));
        let gate = Arc::new(Gate::new(Some(100.0)));
        let started = Instant::now();
        // Five turns, 10 ms apart; the first goes at once.
        let workers = waiting(&gate, &limiter, 5);
        tokio::time::sleep(ms(5)).await;
        gate.pause(Duration::from_secs(1));
        let turns: Vec<Duration> =
            turns(workers).await.iter().map(|at| at.duration_since(started)).collect();
        assert!(turns[0] < ms(5), "{turns:?}");
        // The other four wait out the pause, then keep the rate.
        assert!(turns[1] >= ms(1005), "{turns:?}");
        for pair in turns[1..].windows(2) {
            assert!(pair[1] - pair[0] >= ms(10), "{turns:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_cut_turns_keep_the_hard_rate() {
        let limiter = Limiter::new(Controller::fixed(4, Instant::now()));
        let gate = Gate::new(Some(100.0));
        let mut turns = Vec::new();
        for _ in 0..5 {
            gate.wait(&limiter).await;
            turns.push(Instant::now());
        }
        let gaps: Vec<_> = turns.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert_eq!(gaps, vec![ms(10); 4]);
    }
}
