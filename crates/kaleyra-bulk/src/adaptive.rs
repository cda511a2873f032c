//! Finding and holding the ceiling the server allows: how many requests may be in flight and
//! how fast they may start, learnt from the answers.
//!
//! Two windows, each grown and cut the way CUBIC (RFC 9438) grows and cuts TCP's congestion
//! window, with the measured values of the moment a 429 came as the new starting points:
//!
//! - the **limit** on requests in flight: it starts small and grows by two per answer (tripling
//!   every round trip, TCP's slow start with RFC 3465's L = 2) until the first 429 or until latency climbs (TCP
//!   Vegas' signal: a smoothed latency twice its lowest level means the server is queueing;
//!   the smoothed value, over about 100 answers and once 200 came, because single service
//!   times vary tenfold and the first answers back are the fastest). A 429 that comes with
//!   every slot sending sets it to 95 % of the requests in flight, and it grows back along a
//!   cubic curve: slowly near the level that drew the 429, faster away from it. Until a rate
//!   is learnt, every further 429 within the cut's guard takes one more off: each throttled
//!   slot would otherwise go straight to a request the server throttles in turn.
//! - the **rate** at which requests start: unlimited until the first 429, then 97 % of the rate
//!   the server accepted over the last second (the AWS SDKs' adaptive retry mode measures the
//!   sending rate the same way), or, within a second of the last cut, of the requests it took
//!   since (sent, not throttled) if fewer: a token bucket is empty at both 429s, so that is
//!   its refill rate, where the answers lag their requests and early on still count the
//!   bucket's burst. It grows back along its own cubic curve. Every 429 with slots
//!   waiting for the rate sets it, and the first 429 whatever the slots: a throttled request is
//!   answered at once, and without a rate its slot would go to the next request at once, and
//!   that one's to the next. Once a rate is learnt, a 429 with every slot sending is the
//!   limit's alone (a cap on requests in flight): cutting both would hold the import under
//!   the cap's throughput.
//!
//! A window grows only while it is what holds the import back (CUBIC's application-limited
//! rule), so a rate that is not the bottleneck does not drift up unchecked. One cut per 100 ms
//! at most: 429s for requests sent before a cut say nothing new. A 5xx or a timeout (the
//! server struggling rather than counting) cuts the limit to 70 % (AIMD's multiplicative
//! decrease) and leaves the rate alone.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The cubic curves' constant, relative to the level of the last cut: a window doubles about
/// 2.8 s after a cut.
const CUBIC_C: f64 = 0.1;
/// What each accepted answer adds to the limit in slow start: it triples every round trip.
/// Doubling (one per answer) left a server's first second half used; two per answer is what
/// TCP's slow start may take per acknowledgement (RFC 3465, L = 2).
const SLOW_START_STEP: f64 = 2.0;
/// What a 429 leaves of the requests in flight.
const LIMIT_BETA: f64 = 0.95;
/// What a 429 leaves of the accepted rate.
const RATE_BETA: f64 = 0.97;
/// What a 5xx or a timeout leaves of the limit.
const OVERLOAD_BETA: f64 = 0.7;
/// At most one cut in this long.
const CUT_GUARD: Duration = Duration::from_millis(100);
/// Over how long the accepted rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// A smoothed latency this many times its lowest level means the server is queueing.
const QUEUEING: f64 = 2.0;
/// Answers the smoothed latency needs before it counts: the first answers to come back are
/// the fastest, and a level taken from them would call every later one queueing.
const SETTLED: u64 = 200;
/// The weight of one answer in the smoothed latency: about the last 100 answers count, so that
/// one slow answer in twenty (a p95 several times the median) does not look like queueing.
const SMOOTHING: f64 = 0.01;
/// Answers accepted over the last second needed to measure a rate.
const MIN_MEASURED: usize = 10;
/// The slowest adaptive rate: one request per second.
const MIN_RATE: f64 = 1.0;

/// What became of one request, as far as pacing is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Answer {
    /// The server processed it (created, rejected, a duplicate): it took this long.
    Accepted(Duration),
    /// 429, or 503 with `Retry-After`: not processed, slow down.
    Throttled,
    /// Any other 5xx, a timeout, a lost connection: the server may be struggling.
    Overloaded,
    /// Nothing the server said (not sent, stopped): no signal.
    Nothing,
}

/// One window that grows along a cubic curve from the level of its last cut.
#[derive(Debug, Clone)]
struct Cubic {
    /// The level at the last cut (CUBIC's W_max).
    peak: f64,
    /// The level just after the cut.
    start: f64,
    /// Time spent holding the import back since the cut: the curve's clock.
    bound_for: Duration,
}

impl Cubic {
    fn cut(peak: f64, beta: f64) -> Cubic {
        Cubic { peak, start: peak * beta, bound_for: Duration::ZERO }
    }

    /// The level after `bound_for`: `peak * (1 + C (t - K)^3)`, K where the curve starts at
    /// `start`.
    fn level(&self) -> f64 {
        if self.peak <= 0.0 {
            return self.start;
        }
        let k = ((1.0 - self.start / self.peak) / CUBIC_C).cbrt();
        let t = self.bound_for.as_secs_f64() - k;
        (self.peak * (1.0 + CUBIC_C * t * t * t)).max(self.start)
    }
}

/// The controller's state: pure, with time passed in, so tests drive it with any clock.
#[derive(Debug)]
pub(crate) struct Controller {
    adaptive: bool,
    max: f64,
    /// In slow start: the limit, grown by [`SLOW_START_STEP`] per accepted answer.
    slow_start: Option<f64>,
    limit: Cubic,
    /// `None` until a 429 says the server counts requests.
    rate: Option<Cubic>,
    /// When accepted answers came, over the last [`RATE_WINDOW`].
    accepted: VecDeque<Instant>,
    first_accepted: Option<Instant>,
    /// The lowest level the smoothed latency has had since it settled.
    lowest_latency: Option<Duration>,
    smoothed_latency: Option<Duration>,
    latencies: u64,
    last_cut: Option<Instant>,
    last_update: Instant,
    /// How many times a 429 has set the rate.
    rate_cuts: u64,
    /// Requests sent so far, each attempt counted.
    sent: u64,
    /// When a 429 last set the rate, with the requests sent and throttled by then.
    last_rate_cut: Option<(Instant, u64, u64)>,
    /// Since the last update: a sender waited for the limit / for the rate.
    limit_bound: bool,
    rate_bound: bool,
    throttled: u64,
}

impl Controller {
    /// Exactly `limit` requests in flight, whatever the answers.
    pub(crate) fn fixed(limit: usize, now: Instant) -> Controller {
        let mut controller = Controller::adaptive(limit, limit, now);
        controller.adaptive = false;
        controller.slow_start = None;
        controller.limit =
            Cubic { peak: 0.0, start: limit.max(1) as f64, bound_for: Duration::ZERO };
        controller
    }

    /// Starting at `initial` requests in flight, never more than `max`.
    pub(crate) fn adaptive(initial: usize, max: usize, now: Instant) -> Controller {
        let max = max.max(1) as f64;
        Controller {
            adaptive: true,
            max,
            slow_start: Some((initial.max(1) as f64).min(max)),
            limit: Cubic { peak: 0.0, start: max, bound_for: Duration::ZERO },
            rate: None,
            accepted: VecDeque::new(),
            first_accepted: None,
            lowest_latency: None,
            smoothed_latency: None,
            latencies: 0,
            last_cut: None,
            last_update: now,
            rate_cuts: 0,
            sent: 0,
            last_rate_cut: None,
            limit_bound: false,
            rate_bound: false,
            throttled: 0,
        }
    }

    /// Requests that may be in flight now.
    pub(crate) fn limit(&self) -> usize {
        let level = self.slow_start.unwrap_or_else(|| self.limit.level());
        level.clamp(1.0, self.max) as usize
    }

    /// Requests per second that may start now, if limited.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.rate.as_ref().map(|rate| rate.level().max(MIN_RATE))
    }

    /// The rate, and how many times a 429 has set it.
    pub(crate) fn pace(&self) -> Pace {
        Pace { rate: self.rate(), cuts: self.rate_cuts }
    }

    /// Answers that were 429s (or 503s with `Retry-After`).
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// A request went out.
    pub(crate) fn sent_one(&mut self) {
        self.sent += 1;
    }

    /// A sender had to wait for a slot.
    pub(crate) fn limit_was_bound(&mut self) {
        self.limit_bound = true;
    }

    /// A sender had to wait for the rate.
    pub(crate) fn rate_was_bound(&mut self) {
        self.rate_bound = true;
    }

    /// Learns from one answer; `in_flight` counts the requests on their way when it came, this
    /// one included.
    pub(crate) fn learn(&mut self, answer: Answer, in_flight: usize, now: Instant) {
        if answer == Answer::Throttled {
            self.throttled += 1;
        }
        if !self.adaptive {
            return;
        }
        self.advance(now);
        match answer {
            Answer::Accepted(latency) => self.accepted_one(latency, now),
            Answer::Throttled => self.throttled_one(in_flight, now),
            Answer::Overloaded => {
                if self.may_cut(now) {
                    let level = self.slow_start.take().unwrap_or_else(|| self.limit.level());
                    self.limit = Cubic::cut(level.min(in_flight as f64).max(1.0), OVERLOAD_BETA);
                }
            }
            Answer::Nothing => {}
        }
    }

    /// Moves the cubic clocks of the windows that held the import back since the last update.
    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last_update);
        self.last_update = now;
        let queueing = self.queueing();
        if self.limit_bound && !queueing {
            self.limit.bound_for += elapsed;
        }
        if let Some(rate) = &mut self.rate
            && self.rate_bound
        {
            rate.bound_for += elapsed;
        }
        self.limit_bound = false;
        self.rate_bound = false;
    }

    fn queueing(&self) -> bool {
        match (self.lowest_latency, self.smoothed_latency) {
            (Some(lowest), Some(smoothed)) => {
                smoothed.as_secs_f64() > QUEUEING * lowest.as_secs_f64()
            }
            _ => false,
        }
    }

    fn accepted_one(&mut self, latency: Duration, now: Instant) {
        self.accepted.push_back(now);
        self.first_accepted.get_or_insert(now);
        self.forget_answers_before_the_window(now);
        let smoothed = match self.smoothed_latency {
            None => latency,
            Some(smoothed) => smoothed.mul_f64(1.0 - SMOOTHING) + latency.mul_f64(SMOOTHING),
        };
        self.smoothed_latency = Some(smoothed);
        self.latencies += 1;
        if self.latencies >= SETTLED {
            self.lowest_latency = Some(self.lowest_latency.map_or(smoothed, |l| l.min(smoothed)));
        }
        if let Some(level) = self.slow_start {
            if self.queueing() {
                // The server queues instead of refusing: stop doubling here.
                self.slow_start = None;
                self.limit = Cubic::cut(level, LIMIT_BETA);
            } else {
                self.slow_start = Some((level + SLOW_START_STEP).min(self.max));
            }
        }
    }

    /// A 429 cuts the rate to what the server accepted (without it, throttled requests,
    /// answered at once, would free their slots for the next ones at once), and, with every
    /// slot sending, the limit on requests in flight. Once a rate is learnt, a 429 with every
    /// slot sending cuts the limit only: the server refused the requests in flight (a cap on
    /// them), and cutting the rate as well would hold the import under the cap's throughput.
    fn throttled_one(&mut self, sending: usize, now: Instant) {
        if !self.may_cut(now) {
            // Without a rate, nothing keeps a throttled request's slot from going straight to
            // the next request, which the server throttles too, and `sending` counts those:
            // each 429 after the cut gives its slot up, until the requests in flight are the
            // ones the server took.
            if self.rate.is_none() && self.slow_start.is_none() {
                let level = (self.limit.level() - 1.0).max(1.0);
                self.limit = Cubic::cut(level, 1.0);
            }
            return;
        }
        let sending = (sending as f64).max(1.0);
        // In slow start, answers and new requests come in bursts: a 429 then is the limit's.
        let limit_cut = self.slow_start.is_some() || sending + 1.0 >= self.limit() as f64;
        if limit_cut {
            self.slow_start = None;
            self.limit = Cubic::cut(sending.min(self.max), LIMIT_BETA);
        }
        if limit_cut && self.rate.is_some() {
            return;
        }
        // Too few answers are no measure of a rate (a 429 to the very first requests would
        // set it to nothing): the limit's cut and the row's own wait do then.
        self.forget_answers_before_the_window(now);
        if self.accepted.len() >= MIN_MEASURED {
            let accepted = self.accepted_rate(now);
            let measured =
                self.admitted_since_the_last_cut(now).map_or(accepted, |a| a.min(accepted));
            self.rate = Some(Cubic::cut(measured.max(MIN_RATE / RATE_BETA), RATE_BETA));
            self.rate_cuts += 1;
            self.last_rate_cut = Some((now, self.sent, self.throttled));
        }
    }

    /// Requests the server took (sent, not throttled) per second since the last cut of the
    /// rate, if that was within the last second. A token bucket is empty at both 429s, so this
    /// is its refill rate; the answers of the last second lag the requests by their service
    /// time and, early on, still count the bucket's burst.
    fn admitted_since_the_last_cut(&self, now: Instant) -> Option<f64> {
        let (at, sent, throttled) = self.last_rate_cut?;
        let span = now.saturating_duration_since(at);
        let admitted = (self.sent - sent).saturating_sub(self.throttled - throttled);
        let measurable =
            (CUT_GUARD..=RATE_WINDOW).contains(&span) && admitted >= MIN_MEASURED as u64;
        measurable.then(|| admitted as f64 / span.as_secs_f64())
    }

    fn forget_answers_before_the_window(&mut self, now: Instant) {
        while self.accepted.front().is_some_and(|at| now.duration_since(*at) > RATE_WINDOW) {
            self.accepted.pop_front();
        }
    }

    /// Answers accepted per second over the last [`RATE_WINDOW`] (or since the first); the
    /// older ones must have been forgotten.
    fn accepted_rate(&self, now: Instant) -> f64 {
        let first = self.first_accepted.unwrap_or(now);
        let span = now.saturating_duration_since(first).min(RATE_WINDOW);
        self.accepted.len() as f64 / span.as_secs_f64().max(0.05)
    }

    /// Every sender waited (the server let nothing through): the rate accepted before the
    /// pause measures the pause, not the server.
    pub(crate) fn paused(&mut self) {
        self.accepted.clear();
        self.first_accepted = None;
        self.last_rate_cut = None;
    }

    fn may_cut(&mut self, now: Instant) -> bool {
        if self.last_cut.is_some_and(|at| now.saturating_duration_since(at) < CUT_GUARD) {
            return false;
        }
        self.last_cut = Some(now);
        true
    }
}

/// The learnt rate as the senders' schedule needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pace {
    /// Requests per second that may start now, if limited.
    pub(crate) rate: Option<f64>,
    /// How many times a 429 has set the rate: turns handed out before the last cut were at a
    /// pace the server refused.
    pub(crate) cuts: u64,
}

/// The controller shared by the senders: a slot is a permit to have one request in flight.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    controller: Controller,
    /// Slots taken: a slot is taken before its row, which may still wait for the rate.
    in_flight: usize,
    /// Of those, requests on their way: what the server sees, and what a cut is measured on.
    sending: usize,
}

/// One request's slot; [`Permit::sending`] says the request goes out now, [`Permit::finish`]
/// what became of it.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    sending: bool,
    done: bool,
}

impl Limiter {
    pub(crate) fn new(controller: Controller) -> Limiter {
        let state = State { controller, in_flight: 0, sending: 0 };
        Limiter { state: Mutex::new(state), freed: Notify::new() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a slot.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        loop {
            let freed = self.freed.notified();
            {
                let mut state = self.state();
                let limit = state.controller.limit();
                if state.in_flight < limit {
                    state.in_flight += 1;
                    return Permit { limiter: self, sending: false, done: false };
                }
                // Bound by the limit only if the slots are sending, not waiting for the rate.
                if state.sending + 1 >= limit {
                    state.controller.limit_was_bound();
                }
            }
            freed.await;
        }
    }

    /// The rate requests may start at, and how many times it has been cut.
    pub(crate) fn pace(&self) -> Pace {
        self.state().controller.pace()
    }

    /// Every sender is made to wait: see [`Controller::paused`].
    pub(crate) fn paused(&self) {
        self.state().controller.paused();
    }

    /// A sender waited for the rate.
    pub(crate) fn rate_was_bound(&self) {
        self.state().controller.rate_was_bound();
    }

    /// The limit on requests in flight and the rate, as they are now.
    pub(crate) fn current(&self) -> (usize, Option<f64>) {
        let state = self.state();
        (state.controller.limit(), state.controller.rate())
    }

    /// 429s seen so far.
    pub(crate) fn throttled(&self) -> u64 {
        self.state().controller.throttled()
    }
}

impl Permit<'_> {
    /// The request goes out now.
    pub(crate) fn sending(&mut self) {
        if !self.sending {
            self.sending = true;
            let mut state = self.limiter.state();
            state.sending += 1;
            state.controller.sent_one();
        }
    }

    /// Gives the slot back and learns from `answer`.
    pub(crate) fn finish(mut self, answer: Answer) {
        self.done = true;
        self.release(answer);
    }

    fn release(&self, answer: Answer) {
        {
            let mut state = self.limiter.state();
            let sending = state.sending;
            state.controller.learn(answer, sending, Instant::now());
            state.in_flight -= 1;
            if self.sending {
                state.sending -= 1;
            }
        }
        // Every waiter looks again: the limit may have grown by more than one.
        self.limiter.freed.notify_waiters();
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.release(Answer::Nothing);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn slow_start_triples_each_round_trip_up_to_the_max() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(4, 1000, start);
        for round in 1..=4u64 {
            let limit = controller.limit();
            for _ in 0..limit {
                controller.limit_was_bound();
                controller.learn(Answer::Accepted(ms(300)), limit, start + ms(300 * round));
            }
        }
        assert_eq!(controller.limit(), 4 * 81);
        for _ in 0..1000 {
            controller.learn(Answer::Accepted(ms(300)), 324, start + ms(1500));
        }
        assert_eq!(controller.limit(), 1000);
        assert_eq!(controller.rate(), None);
    }

    /// Slow start from `initial` until the limit is `limit`, every slot sending, answers at
    /// `latency`; returns the time reached.
    fn grow_to(
        controller: &mut Controller,
        limit: usize,
        latency: Duration,
        start: Instant,
    ) -> Instant {
        let mut now = start;
        while controller.limit() < limit {
            now += ms(2);
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(latency), controller.limit(), now);
        }
        now
    }

    #[test]
    fn a_cap_on_requests_in_flight_cuts_the_limit_to_below_it() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        let now = grow_to(&mut controller, 65, ms(300), start);
        controller.learn(Answer::Throttled, 65, now + ms(1));
        assert_eq!(controller.limit(), 61); // 95 % of 65
        assert_eq!(controller.throttled(), 1);
        // A second 429 within 100 ms cuts nothing more.
        controller.learn(Answer::Throttled, 61, now + ms(50));
        assert_eq!((controller.limit(), controller.throttled()), (61, 2));
        // Grown back, throttled at the same count again: cut again.
        let mut later = now + ms(200);
        while controller.limit() < 65 {
            later += ms(10);
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(300)), controller.limit(), later);
        }
        controller.learn(Answer::Throttled, 65, later + ms(1));
        assert_eq!(controller.limit(), 61);
    }

    #[test]
    fn a_429_sets_the_rate_to_what_the_server_accepted() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        let now = grow_to(&mut controller, 240, ms(300), start);
        // 232 answers in 464 ms before the first 429: 500 a second.
        controller.learn(Answer::Throttled, 240, now);
        assert_eq!(controller.limit(), 228);
        let rate = controller.rate().unwrap();
        assert!((rate - 0.97 * 500.0).abs() < 5.0, "{rate}");
        // 400 answers in the last second, then a 429 with slots waiting for the rate.
        let mut later = now + ms(1000);
        for _ in 0..400 {
            later += ms(2);
            controller.learn(Answer::Accepted(ms(300)), 150, later);
        }
        controller.learn(Answer::Throttled, 150, later + ms(1));
        assert_eq!(controller.limit(), 228);
        let rate = controller.rate().unwrap();
        assert!((rate - 388.0).abs() < 5.0, "{rate}"); // 97 % of about 400/s
    }

    #[test]
    fn once_a_rate_is_learnt_a_429_to_every_slot_sending_cuts_the_limit_only() {
        // A cap of 64 in flight: the first 429 ends slow start and sets both windows.
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        let now = grow_to(&mut controller, 65, ms(300), start);
        controller.learn(Answer::Throttled, 65, now);
        let rate = controller.rate().unwrap();
        // Two seconds at the cap, 200 answers a second; the limit grows back.
        let mut later = now;
        for _ in 0..400 {
            later += ms(5);
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(300)), controller.limit(), later);
        }
        let limit = controller.limit();
        controller.learn(Answer::Throttled, limit, later + ms(1));
        // The requests in flight were refused, not the pace: only the limit is cut.
        assert_eq!(controller.limit(), (limit as f64 * LIMIT_BETA) as usize);
        assert_eq!(controller.rate(), Some(rate));
    }

    #[test]
    fn after_a_cut_the_rate_is_what_the_server_took_since() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        let now = grow_to(&mut controller, 240, ms(300), start);
        // The first 429: 500 answers a second, the bucket's burst among them.
        controller.learn(Answer::Throttled, 240, now);
        let first = controller.rate().unwrap();
        assert!((first - 485.0).abs() < 5.0, "{first}");
        // 200 ms on: 100 sent, every other one of the first 50 throttled (all within the cut's
        // guard); answers to earlier requests still come at 500 a second.
        for i in 0..100u64 {
            controller.sent_one();
            controller.learn(Answer::Accepted(ms(300)), 150, now + ms(2 * i));
            if i < 50 && i % 2 == 0 {
                controller.learn(Answer::Throttled, 150, now + ms(2 * i + 1));
            }
        }
        controller.sent_one();
        controller.learn(Answer::Throttled, 150, now + ms(200));
        // (101 - 26) taken in 200 ms: 375 a second, not the 500 the answers still show.
        let rate = controller.rate().unwrap();
        assert!((rate - 0.97 * 375.0).abs() < 2.0, "{rate}");
    }

    #[test]
    fn a_429_with_slots_to_spare_cuts_the_rate_only() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        let now = grow_to(&mut controller, 200, ms(100), start);
        controller.learn(Answer::Throttled, 200, now); // slow start ends: 190
        let mut later = now + ms(1000);
        for _ in 0..300 {
            later += ms(3);
            controller.learn(Answer::Accepted(ms(100)), 30, later);
        }
        let limit = controller.limit();
        controller.learn(Answer::Throttled, 30, later + ms(1));
        assert_eq!(controller.limit(), limit);
        let rate = controller.rate().unwrap();
        assert!((rate - 0.97 * 300.0).abs() < 5.0, "{rate}");
    }

    #[test]
    fn windows_grow_back_only_while_they_hold_the_import_back() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        for i in 0..200u64 {
            controller.learn(Answer::Accepted(ms(100)), 50, start + ms(500 + i * 5));
        }
        // A 429 with 208 in flight ends slow start, at 95 % of that.
        controller.learn(Answer::Throttled, 208, start + ms(1500));
        assert_eq!(controller.limit(), 197);
        // Slots to spare: only the rate is cut.
        controller.learn(Answer::Throttled, 50, start + ms(1600));
        let (limit, rate) = (controller.limit(), controller.rate().unwrap_or_default());
        assert_eq!(limit, 197);
        // Ten seconds in which neither held anything back: no growth.
        for i in 1..=100u64 {
            controller.learn(Answer::Accepted(ms(100)), 10, start + ms(1600 + i * 100));
        }
        assert_eq!(controller.limit(), limit);
        assert_eq!(controller.rate().unwrap_or_default(), rate);
        // Three seconds bound by the limit: it grows past its old peak (208).
        for i in 1..=30u64 {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(100)), limit, start + ms(11_600 + i * 100));
        }
        assert!(controller.limit() > 208, "{}", controller.limit());
        assert_eq!(controller.rate().unwrap_or_default(), rate);
        // Bound by the rate for three seconds: it doubles, near enough.
        for i in 1..=30u64 {
            controller.rate_was_bound();
            controller.learn(Answer::Accepted(ms(100)), 10, start + ms(14_600 + i * 100));
        }
        let grown = controller.rate().unwrap_or_default();
        assert!(grown > 1.8 * rate / RATE_BETA, "{rate} -> {grown}");
    }

    #[test]
    fn near_the_last_peak_growth_is_slow_far_from_it_fast() {
        let curve = Cubic::cut(100.0, LIMIT_BETA);
        let at = |seconds: f64| {
            Cubic { bound_for: Duration::from_secs_f64(seconds), ..curve.clone() }.level()
        };
        assert!((at(0.0) - 95.0).abs() < 1e-9);
        let k = ((1.0 - LIMIT_BETA) / CUBIC_C).cbrt();
        assert!((at(k) - 100.0).abs() < 1e-9);
        // A fifth of a second either side of the peak moves it by less than 0.1 %.
        assert!((at(k + 0.2) - 100.0).abs() < 0.1 && (at(k - 0.2) - 100.0).abs() < 0.1);
        assert!(at(k + 2.2) > 200.0);
    }

    #[test]
    fn rising_latency_ends_slow_start_and_stops_growth() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(8, 1000, start);
        for i in 0..SETTLED {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(100)), 8, start + ms(i));
        }
        let before = controller.limit();
        // The smoothed latency passes twice the lowest within 50 answers: doubling stops.
        for i in 0..50u64 {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(400)), before, start + ms(300 + i * 10));
        }
        let stopped = controller.limit();
        assert!(controller.slow_start.is_none());
        assert!(stopped < before + 2 * 50, "{stopped} after {before}");
        // While latency stays high, the limit does not grow, however long it holds back.
        for i in 0..500u64 {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(400)), stopped, start + ms(1000 + i * 10));
        }
        assert_eq!(controller.limit(), stopped);
        assert_eq!(controller.rate(), None);
    }

    #[test]
    fn before_any_answer_each_429_after_the_cut_gives_its_slot_up() {
        // 32 sent, the server takes 16 and throttles the rest at once; each throttled slot
        // goes to a new request, throttled too.
        let start = Instant::now();
        let mut controller = Controller::adaptive(32, 1000, start);
        controller.learn(Answer::Throttled, 32, start + ms(1));
        assert_eq!(controller.limit(), 30);
        for i in 0..14u64 {
            controller.learn(Answer::Throttled, 30, start + ms(2) + Duration::from_micros(i));
        }
        assert_eq!((controller.limit(), controller.rate()), (16, None));
        // The cascade is over: the limit grows again from there while it holds the import back.
        for i in 0..16u64 {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(50)), 16, start + ms(50 + i));
        }
        assert!(controller.limit() >= 16, "{}", controller.limit());
        // Once a rate holds requests back, a 429 in the guard cuts nothing more.
        let mut later = start + ms(200);
        for _ in 0..20 {
            later += ms(3);
            controller.learn(Answer::Accepted(ms(50)), 10, later);
        }
        controller.learn(Answer::Throttled, 17, later + ms(1));
        let (limit, rate) = (controller.limit(), controller.rate());
        assert!(rate.is_some());
        controller.learn(Answer::Throttled, 16, later + ms(2));
        assert_eq!((controller.limit(), controller.rate()), (limit, rate));
    }

    #[test]
    fn a_pause_restarts_the_measure_of_the_rate() {
        // 16 answers, half a second in which everyone waited, 10 answers in 10 ms, a 429.
        let learnt = |pause: bool| {
            let start = Instant::now();
            let mut controller = Controller::adaptive(64, 1000, start);
            for i in 0..16u64 {
                controller.learn(Answer::Accepted(ms(50)), 16, start + ms(50 + i));
            }
            if pause {
                controller.paused();
            }
            for i in 0..10u64 {
                controller.learn(Answer::Accepted(ms(50)), 16, start + ms(600 + i));
            }
            controller.learn(Answer::Throttled, 16, start + ms(610));
            controller.rate().unwrap()
        };
        // Without the pause known, the half second counts as time the server was serving.
        assert!((learnt(false) - 0.97 * 26.0 / 0.56).abs() < 1.0, "{}", learnt(false));
        assert!((learnt(true) - 0.97 * 10.0 / 0.05).abs() < 1.0, "{}", learnt(true));
    }

    #[test]
    fn a_429_long_after_the_last_answer_sets_no_rate() {
        // Answers more than a second old measure nothing: no rate of one request a second.
        let start = Instant::now();
        let mut controller = Controller::adaptive(16, 1000, start);
        for i in 0..16u64 {
            controller.learn(Answer::Accepted(ms(50)), 16, start + ms(50 + i));
        }
        controller.learn(Answer::Throttled, 16, start + ms(3000));
        assert_eq!(controller.rate(), None);
    }

    #[test]
    fn a_429_before_enough_answers_sets_no_rate() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(16, 1000, start);
        controller.learn(Answer::Throttled, 16, start + ms(5));
        assert_eq!((controller.limit(), controller.rate()), (15, None));
        for i in 0..9u64 {
            controller.learn(Answer::Accepted(ms(50)), 10, start + ms(200 + i));
        }
        controller.learn(Answer::Throttled, 10, start + ms(300));
        assert_eq!(controller.rate(), None);
    }

    #[test]
    fn server_errors_cut_the_limit_deeper_and_leave_the_rate() {
        let start = Instant::now();
        let mut controller = Controller::adaptive(100, 1000, start);
        controller.learn(Answer::Overloaded, 100, start + ms(10));
        assert_eq!(controller.limit(), 70);
        assert_eq!(controller.rate(), None);
        assert_eq!(controller.throttled(), 0);
    }

    #[test]
    fn a_fixed_limit_never_moves() {
        let start = Instant::now();
        let mut controller = Controller::fixed(8, start);
        controller.learn(Answer::Throttled, 8, start + ms(10));
        controller.learn(Answer::Overloaded, 8, start + ms(500));
        for i in 0..100u64 {
            controller.limit_was_bound();
            controller.learn(Answer::Accepted(ms(1)), 8, start + ms(600 + i));
        }
        assert_eq!((controller.limit(), controller.rate(), controller.throttled()), (8, None, 1));
    }

    /// Slots taken, and requests sending.
    fn slots(limiter: &Limiter) -> (usize, usize) {
        let state = limiter.state();
        (state.in_flight, state.sending)
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_holds_senders_at_the_limit_and_wakes_them() {
        let limiter = std::sync::Arc::new(Limiter::new(Controller::fixed(2, Instant::now())));
        let mut first = limiter.acquire().await;
        first.sending();
        let second = limiter.acquire().await;
        assert_eq!(slots(&limiter), (2, 1));
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let permit = limiter.acquire().await;
                permit.finish(Answer::Nothing);
            })
        };
        tokio::time::sleep(ms(10)).await;
        assert!(!waiting.is_finished());
        first.finish(Answer::Accepted(ms(5)));
        waiting.await.unwrap();
        drop(second);
        assert_eq!(slots(&limiter), (0, 0));
    }
}
