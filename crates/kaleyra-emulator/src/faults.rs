//! Fault injection: what can go wrong, for the whole server (a plan set through the admin
//! endpoint) or for one request (the `x-emulator-fault` header).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The request header that injects a fault into that request alone, e.g.
/// `x-emulator-fault: status=503, retry-after=2` or `x-emulator-fault: reset-after, latency=50`.
pub const FAULT_HEADER: &str = "x-emulator-fault";

/// One thing going wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (500, 502, 503, ...) before processing; `Retry-After` if given.
    Status {
        /// The status, a 5xx.
        status: u16,
        /// `Retry-After` (sent in whole seconds, rounded up; JSON: seconds).
        #[serde(
            default,
            with = "json_duration::optional_seconds",
            skip_serializing_if = "Option::is_none"
        )]
        retry_after: Option<Duration>,
    },
    /// Answer 429 with `Retry-After` before processing.
    RateLimit {
        /// `Retry-After` (sent in whole seconds, rounded up; JSON: seconds, 1 by default).
        #[serde(default = "one_second", with = "json_duration::seconds")]
        retry_after: Duration,
    },
    /// Close the connection once the request is read, without processing it.
    ResetBefore,
    /// Create the record, then close the connection without answering.
    ResetAfter,
    /// Create the record, then send half of the answer and close the connection.
    Truncate,
    /// Create the record, then answer 200 with a body that is not JSON.
    Garbage,
    /// Create the record, then send the answer slowly: its head at once, its body 16 bytes at
    /// a time, `pause` apart (what a client's read timeout meets mid-body).
    SlowBody {
        /// The pause between pieces (JSON: `pause_ms`, 100 by default).
        #[serde(rename = "pause_ms", default = "slow_body_pause", with = "json_duration::millis")]
        pause: Duration,
    },
    /// Reset the next connection as soon as it is accepted, before reading a byte (and so, on
    /// HTTPS, before the TLS handshake completes): the client can tell nothing was sent.
    ResetOnAccept,
}

impl Fault {
    /// Answer `status` (a 5xx) before processing.
    pub fn status(status: u16) -> Fault {
        Fault::Status { status, retry_after: None }
    }

    /// Answer `status` (a 5xx) with `Retry-After` (whole seconds, rounded up) before processing.
    pub fn status_retry_after(status: u16, retry_after: Duration) -> Fault {
        Fault::Status { status, retry_after: Some(retry_after) }
    }

    /// Answer 429 with `Retry-After` (whole seconds, rounded up) before processing.
    pub fn rate_limit(retry_after: Duration) -> Fault {
        Fault::RateLimit { retry_after }
    }

    /// Create the record, then send the answer 16 bytes at a time, `pause` apart.
    pub fn slow_body(pause: Duration) -> Fault {
        Fault::SlowBody { pause }
    }
}

/// `Retry-After` is whole seconds: a part of one counts as one.
pub(crate) fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs().saturating_add(u64::from(duration.subsec_nanos() > 0))
}

fn one_second() -> Duration {
    Duration::from_secs(1)
}

fn slow_body_pause() -> Duration {
    Duration::from_millis(100)
}

/// Durations in the admin endpoint's JSON: whole seconds or milliseconds.
mod json_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) mod seconds {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(crate::faults::whole_seconds(*value))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
            u64::deserialize(d).map(Duration::from_secs)
        }
    }

    pub(super) mod optional_seconds {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            value: &Option<Duration>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(duration) => s.serialize_some(&crate::faults::whole_seconds(*duration)),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Duration>, D::Error> {
            Option::<u64>::deserialize(d).map(|seconds| seconds.map(Duration::from_secs))
        }
    }

    pub(super) mod millis {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
            u64::deserialize(d).map(Duration::from_millis)
        }
    }
}

/// A fault and how many times it fires (`None`: until the plan is replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaultRule {
    /// What goes wrong.
    #[serde(flatten)]
    pub fault: Fault,
    /// How many requests it strikes; `None`: every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultRule {
    /// `fault` for the next request only.
    pub fn once(fault: Fault) -> FaultRule {
        FaultRule::times(fault, 1)
    }

    /// `fault` for the next `times` requests.
    pub fn times(fault: Fault, times: u32) -> FaultRule {
        FaultRule { fault, times: Some(times) }
    }

    /// `fault` for every request until the plan is replaced.
    pub fn always(fault: Fault) -> FaultRule {
        FaultRule { fault, times: None }
    }
}

/// The server-wide faults: a latency added to every create request, and rules tried in order.
/// As JSON (`PUT /__emulator/faults`): `{"latency_ms": 0, "rules": [{"kind": "status",
/// "status": 503, "times": 1}]}`.
///
/// ```
/// use std::time::Duration;
/// use kaleyra_emulator::{Fault, FaultPlan, FaultRule};
///
/// let plan = FaultPlan::once(Fault::status(503))
///     .then(FaultRule::times(Fault::rate_limit(Duration::from_secs(2)), 3))
///     .with_latency(Duration::from_millis(300));
/// assert_eq!(plan.rules().len(), 2);
/// assert_eq!(plan.latency(), Duration::from_millis(300));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaultPlan {
    #[serde(rename = "latency_ms", default, with = "json_duration::millis")]
    latency: Duration,
    #[serde(default)]
    rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// No fault, no latency.
    pub fn none() -> FaultPlan {
        FaultPlan::default()
    }

    /// `fault` for the next request only.
    pub fn once(fault: Fault) -> FaultPlan {
        FaultPlan::none().then(FaultRule::once(fault))
    }

    /// `fault` for the next `times` requests.
    pub fn times(fault: Fault, times: u32) -> FaultPlan {
        FaultPlan::none().then(FaultRule::times(fault, times))
    }

    /// Only a latency before every create request is answered.
    pub fn latency_only(latency: Duration) -> FaultPlan {
        FaultPlan::none().with_latency(latency)
    }

    /// The plan with `rule` tried after its others.
    #[must_use]
    pub fn then(mut self, rule: FaultRule) -> FaultPlan {
        self.rules.push(rule);
        self
    }

    /// The plan with a latency (whole milliseconds) before every create request is answered.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> FaultPlan {
        self.latency = latency;
        self
    }

    /// The latency before every create request is answered.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The rules left, in the order they are tried (each counted down as it strikes).
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// The fault for the next create request, if any; counts it down.
    pub(crate) fn take_request_fault(&mut self) -> Option<Fault> {
        self.take(|fault| !matches!(fault, Fault::ResetOnAccept))
    }

    /// Whether the next connection is to be reset on accept; counts it down.
    pub(crate) fn take_connection_fault(&mut self) -> bool {
        self.take(|fault| matches!(fault, Fault::ResetOnAccept)).is_some()
    }

    fn take(&mut self, wanted: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let index = self.rules.iter().position(|rule| wanted(&rule.fault))?;
        let rule = &mut self.rules[index];
        let fault = rule.fault.clone();
        match &mut rule.times {
            Some(1) | Some(0) => {
                self.rules.remove(index);
            }
            Some(times) => *times -= 1,
            None => {}
        }
        Some(fault)
    }
}

/// Reads the per-request header: comma-separated items, `name` or `name=value`.
pub(crate) fn parse_header(value: &str) -> Result<(Option<Fault>, Duration), String> {
    let mut fault = None;
    let mut latency = Duration::ZERO;
    let mut retry_after = None;
    let set = |new: Fault, fault: &mut Option<Fault>| match fault {
        Some(_) => Err("only one fault per request".to_owned()),
        None => {
            *fault = Some(new);
            Ok(())
        }
    };
    for item in value.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let (name, arg) = match item.split_once('=') {
            Some((name, arg)) => (name.trim(), Some(arg.trim())),
            None => (item, None),
        };
        let number = |arg: Option<&str>| -> Result<u64, String> {
            arg.ok_or_else(|| format!("`{name}` needs a value"))?
                .parse::<u64>()
                .map_err(|_| format!("`{name}` needs a whole number"))
        };
        match name {
            "latency" => latency = Duration::from_millis(number(arg)?.min(60_000)),
            "retry-after" => retry_after = Some(Duration::from_secs(number(arg)?)),
            "status" => {
                let status = number(arg)?;
                if !(500..=599).contains(&status) {
                    return Err("status must be a 5xx".to_owned());
                }
                set(Fault::status(status as u16), &mut fault)?
            }
            "rate-limit" => set(Fault::rate_limit(one_second()), &mut fault)?,
            "reset-before" => set(Fault::ResetBefore, &mut fault)?,
            "reset-after" => set(Fault::ResetAfter, &mut fault)?,
            "truncate" => set(Fault::Truncate, &mut fault)?,
            "garbage" => set(Fault::Garbage, &mut fault)?,
            "slow-body" => {
                let pause = match arg {
                    Some(_) => Duration::from_millis(number(arg)?.min(60_000)),
                    None => slow_body_pause(),
                };
                set(Fault::slow_body(pause), &mut fault)?
            }
            other => return Err(format!("unknown fault `{other}`")),
        }
    }
    if let Some(wait) = retry_after {
        match &mut fault {
            Some(Fault::Status { retry_after, .. }) => *retry_after = Some(wait),
            Some(Fault::RateLimit { retry_after }) => *retry_after = wait,
            _ => return Err("retry-after goes with status or rate-limit".to_owned()),
        }
    }
    Ok((fault, latency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_items() {
        assert_eq!(parse_header("").unwrap(), (None, Duration::ZERO));
        assert_eq!(
            parse_header("status=503, retry-after=2").unwrap(),
            (Some(Fault::status_retry_after(503, Duration::from_secs(2))), Duration::ZERO)
        );
        assert_eq!(
            parse_header("reset-after,latency=50").unwrap(),
            (Some(Fault::ResetAfter), Duration::from_millis(50))
        );
        assert_eq!(
            parse_header("slow-body=20").unwrap(),
            (Some(Fault::slow_body(Duration::from_millis(20))), Duration::ZERO)
        );
        assert_eq!(parse_header("slow-body").unwrap().0, Some(Fault::slow_body(slow_body_pause())));
        let plan: FaultPlan = serde_json::from_str(r#"{"rules":[{"kind":"slow-body"}]}"#).unwrap();
        assert_eq!(plan.rules[0].fault, Fault::slow_body(slow_body_pause()));
        assert_eq!(
            parse_header("rate-limit;").unwrap_err(),
            "unknown fault `rate-limit;`".to_owned()
        );
        for bad in [
            "status=404",
            "status",
            "latency=x",
            "truncate,garbage",
            "retry-after=1",
            "nope",
            "slow-body=x",
        ] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plans_count_down_and_keep_connection_faults_apart() {
        let mut plan: FaultPlan = serde_json::from_str(
            r#"{"rules":[{"kind":"reset-on-accept","times":1},{"kind":"status","status":500,"times":2},{"kind":"garbage"}]}"#,
        )
        .unwrap();
        assert_eq!(plan.take_request_fault(), Some(Fault::status(500)));
        assert!(plan.take_connection_fault());
        assert!(!plan.take_connection_fault());
        assert_eq!(plan.take_request_fault(), Some(Fault::status(500)));
        assert_eq!(plan.take_request_fault(), Some(Fault::Garbage));
        assert_eq!(plan.take_request_fault(), Some(Fault::Garbage));
        assert_eq!(plan.rules.len(), 1);
    }
}
