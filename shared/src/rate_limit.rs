//! Rate limits of the public routes that check a password or a code, or send an email:
//! sign-in, password reset, registration and its confirmation code.
//!
//! Each attempt is counted three ways, in one fixed window per purpose (see
//! `docs/security.md` for the numbers and why):
//!
//! - **per source and email** (the tight limit): what one network may try against one
//!   account. A flood from one source stops here, and stops only that source: the account's
//!   owner, from their own network, still signs in;
//! - **per email** (a looser ceiling): what all sources together may try against one
//!   account, against guessing spread over many networks;
//! - **per source** (across emails): what one network may try against all accounts
//!   together, against credential stuffing (one try each at many emails).
//!
//! The first two live in one item per (purpose, email, window), checked and counted by one
//! conditional `UpdateItem` (the email's total and the source's own count, both or
//! neither); the third is one more conditional `UpdateItem`, made only when the first one
//! counted. DynamoDB applies each condition and its `ADD` atomically, so concurrent attempts
//! never pass more than any limit. Every attempt counts, whether or not the account exists
//! and whether or not it succeeds, so the answer at a limit (429) is the same for every
//! email and tells nothing. The check comes before any other call of the route; a refused
//! attempt changes nothing else (one refused by the per-source ceiling is taken back from
//! the email's item). The emails and sources are in the table only as SHA-256 hashes.
//!
//! API Gateway throttles the same routes per second (`infra/template.yaml`, a test keeps
//! them in step); these counters bound what can be tried over minutes.

use crate::domain::Email;
use crate::keys;
use crate::source::SourceAddress;

/// What an attempt is for: each has its own counters and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    StaffLogin,
    CustomerLogin,
    /// The customer pool's forgotten password (its counters keep their first names).
    ForgotPassword,
    ResetPassword,
    /// The staff pool's: counted apart from customers', so neither side spends the other's.
    StaffForgotPassword,
    StaffResetPassword,
    Register,
    ConfirmSignup,
    ResendCode,
    /// Creating a company (`POST /signup`): each attempt may email a verification link.
    CompanySignup,
    /// Sending a company sign-up's verification link again.
    CompanySignupResend,
}

/// The limits of one purpose, each "at most so many attempts in each fixed window of
/// `window_seconds`" (windows start at multiples of `window_seconds` since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub window_seconds: i64,
    /// One source against one email: the tight limit.
    pub per_source_and_email: u32,
    /// All sources together against one email: the ceiling against distributed guessing.
    pub per_email: u32,
    /// One source against all emails together: the ceiling against credential stuffing.
    pub per_source: u32,
}

/// Sign-in (either pool), and registration with an existing account's password. One
/// network: 10 tries per 15 minutes at one account (a person who mistypes retries a few
/// times). All networks: 100, so locking an account out takes at least 10 networks at
/// once, every 15 minutes, and guessing is at most 400 tries an hour per account (against
/// passwords of at least 12 characters). One network at many accounts: 1,000 per 15
/// minutes, far above what an office or a carrier NAT signs in, and a ninth of what the
/// route's API Gateway throttle (10/s, all callers) lets through, so one address stuffing
/// credentials can neither go on at the route's full rate nor take all of it from everyone.
pub const PASSWORD_ATTEMPTS: Policy =
    Policy { window_seconds: 15 * 60, per_source_and_email: 10, per_email: 100, per_source: 1_000 };

/// The 6-digit codes (password reset, sign-up confirmation; 10^6 values). One network: 5
/// per 15 minutes; all networks: 20, so 80 guesses an hour per email (a reset code, valid
/// 1 h, is guessed with a chance of 0.008 %) and a lock-out takes 4 networks at once. One
/// network at many emails: 300 (a code is entered once per sign-up or reset).
pub const CODE_ATTEMPTS: Policy =
    Policy { window_seconds: 15 * 60, per_source_and_email: 5, per_email: 20, per_source: 300 };

/// Each request emails a reset code: enough for a lost email or two, not for mail-bombing
/// someone's inbox (at most 10 an hour, from 4 networks at least); one network may ask for
/// 100 an hour, for everyone behind it together, and no more (mail-bombing many inboxes).
pub const FORGOT_PASSWORD: Policy =
    Policy { window_seconds: 60 * 60, per_source_and_email: 3, per_email: 10, per_source: 100 };

/// Each request emails the confirmation code again (the first code is sent at sign-up).
pub const RESEND_CODE: Policy =
    Policy { window_seconds: 60 * 60, per_source_and_email: 3, per_email: 10, per_source: 100 };

/// Creating a company: a person signs up once (a retry or two after a fault); each attempt
/// may email a verification link, so one email gets at most 10 an hour (from 4 networks at
/// least), and one network may start 20 companies an hour, for everyone behind it
/// together: enough for an office, not for filling the table or squatting slugs in bulk.
pub const COMPANY_SIGNUP: Policy =
    Policy { window_seconds: 60 * 60, per_source_and_email: 3, per_email: 10, per_source: 20 };

impl Purpose {
    pub const ALL: [Self; 11] = [
        Self::StaffLogin,
        Self::CustomerLogin,
        Self::ForgotPassword,
        Self::ResetPassword,
        Self::StaffForgotPassword,
        Self::StaffResetPassword,
        Self::Register,
        Self::ConfirmSignup,
        Self::ResendCode,
        Self::CompanySignup,
        Self::CompanySignupResend,
    ];

    /// Its name in the counters' keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::StaffLogin => "staff-login",
            Self::CustomerLogin => "customer-login",
            Self::ForgotPassword => "forgot-password",
            Self::ResetPassword => "reset-password",
            Self::StaffForgotPassword => "staff-forgot-password",
            Self::StaffResetPassword => "staff-reset-password",
            Self::Register => "register",
            Self::ConfirmSignup => "confirm-signup",
            Self::ResendCode => "resend-code",
            Self::CompanySignup => "company-signup",
            Self::CompanySignupResend => "company-signup-resend",
        }
    }

    pub fn policy(self) -> Policy {
        match self {
            Self::StaffLogin | Self::CustomerLogin | Self::Register => PASSWORD_ATTEMPTS,
            Self::ResetPassword | Self::StaffResetPassword | Self::ConfirmSignup => CODE_ATTEMPTS,
            Self::ForgotPassword | Self::StaffForgotPassword => FORGOT_PASSWORD,
            Self::ResendCode | Self::CompanySignupResend => RESEND_CODE,
            Self::CompanySignup => COMPANY_SIGNUP,
        }
    }

    /// The route (`routes::ROUTES` key) whose attempts it counts.
    pub fn route(self) -> &'static str {
        match self {
            Self::StaffLogin => "POST /auth/staff/login",
            Self::CustomerLogin => "POST /auth/customer/login",
            Self::ForgotPassword => "POST /auth/customer/forgot-password",
            Self::ResetPassword => "POST /auth/customer/reset-password",
            Self::StaffForgotPassword => "POST /auth/staff/forgot-password",
            Self::StaffResetPassword => "POST /auth/staff/reset-password",
            Self::Register => "POST /registration",
            Self::ConfirmSignup => "POST /registration/confirm",
            Self::ResendCode => "POST /registration/resend",
            Self::CompanySignup => "POST /signup",
            Self::CompanySignupResend => "POST /signup/resend",
        }
    }
}

/// One fixed window, `[start, end)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Policy {
    /// The window `now` (epoch seconds) falls in.
    pub fn window(self, now: i64) -> Window {
        let start = now - now.rem_euclid(self.window_seconds);
        Window { start, end: start + self.window_seconds }
    }

    /// Every limit raised by `multiplier` (see `config::RATE_LIMIT_MULTIPLIER`).
    pub fn times(self, multiplier: u32) -> Self {
        let times = |n: u32| n.saturating_mul(multiplier.max(1));
        Self {
            window_seconds: self.window_seconds,
            per_source_and_email: times(self.per_source_and_email),
            per_email: times(self.per_email),
            per_source: times(self.per_source),
        }
    }

    /// How many sources at once, each at its own limit, it takes to reach the per-email
    /// ceiling (and so lock the email out until the window ends).
    pub fn sources_to_lock_out(self) -> u32 {
        self.per_email.div_ceil(self.per_source_and_email.max(1))
    }
}

impl Window {
    /// Whole seconds until the window ends (at least 1: never "retry now").
    pub fn retry_after(self, now: i64) -> u64 {
        u64::try_from(self.end - now).unwrap_or(0).max(1)
    }
}

/// The hex SHA-256 of the (trimmed, lower-cased) email: the table never holds the address
/// of someone who was only tried.
pub fn email_hash(email: &Email) -> String {
    crate::tokens::hash(email.as_str())
}

/// The hex SHA-256 of the source's canonical form (`v4:…`, `v6:…/64`, `unknown`): the
/// table never holds an address (see `docs/security.md` for what a hash of an IPv4
/// address does and does not hide).
pub fn source_hash(source: SourceAddress) -> String {
    crate::tokens::hash(&source.canonical())
}

/// Which counter refused an attempt (for the log; the answer is the same for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The email's item: this source's own count for it, or all sources' together.
    Email,
    /// This source's count across emails.
    Source,
}

/// The email's counter (its total, and each source's own count as the attribute
/// [`source_attribute`]): `RATE#{purpose}#EMAIL#{sha256(email)}` / `WINDOW#{windowStart}`.
pub fn email_counter_key(purpose: Purpose, email: &Email, window: Window) -> (String, String) {
    (keys::rate_limit_email_pk(purpose.name(), &email_hash(email)), keys::rate_limit_sk(window.start))
}

/// The source's counter across emails: `RATE#{purpose}#SOURCE#{sha256(source)}` /
/// `WINDOW#{windowStart}`.
pub fn source_counter_key(purpose: Purpose, source: SourceAddress, window: Window) -> (String, String) {
    (keys::rate_limit_source_pk(purpose.name(), &source_hash(source)), keys::rate_limit_sk(window.start))
}

/// The attribute of the email's item that counts one source's attempts: `src_` and the
/// first 16 hex digits (64 bits) of the source's hash. An item holds at most `per_email`
/// of them (each new one comes with an attempt the total counts), so it stays small.
pub fn source_attribute(source: SourceAddress) -> String {
    let hash = source_hash(source);
    format!("src_{}", &hash[..16])
}

#[cfg(feature = "dynamodb")]
pub use limiter::RateLimiter;

#[cfg(feature = "dynamodb")]
mod limiter {
    use time::OffsetDateTime;

    use super::{Purpose, Refusal, email_counter_key, source_attribute, source_counter_key};
    use crate::config::{self, ConfigError};
    use crate::domain::Email;
    use crate::error::ApiError;
    use crate::source::SourceAddress;
    use crate::store::Store;

    /// Checks and counts attempts against the limits, in the table.
    #[derive(Clone, Debug)]
    pub struct RateLimiter {
        store: Store,
        multiplier: u32,
    }

    impl RateLimiter {
        /// The limits as documented (`multiplier` 1).
        pub fn new(store: Store) -> Self {
            Self { store, multiplier: 1 }
        }

        /// With the multiplier of `RATE_LIMIT_MULTIPLIER`, if set (benchmarks only).
        pub fn configured(store: Store, env: &dyn config::Source) -> Result<Self, ConfigError> {
            let multiplier: u32 =
                config::optional(env, config::RATE_LIMIT_MULTIPLIER, config::DEFAULT_RATE_LIMIT_MULTIPLIER)?;
            if multiplier == 0 {
                return Err(ConfigError::Invalid(config::RATE_LIMIT_MULTIPLIER, "0".into()));
            }
            Ok(Self { store, multiplier })
        }

        /// Counts one attempt of `purpose` from `source` for `email`; `TooManyRequests`
        /// (and nothing left written) when any of its limits is reached in the window.
        pub async fn check(&self, purpose: Purpose, source: SourceAddress, email: &Email) -> Result<(), ApiError> {
            self.check_at(purpose, source, email, OffsetDateTime::now_utc()).await
        }

        pub async fn check_at(
            &self,
            purpose: Purpose,
            source: SourceAddress,
            email: &Email,
            now: OffsetDateTime,
        ) -> Result<(), ApiError> {
            let policy = purpose.policy().times(self.multiplier);
            let now = now.unix_timestamp();
            let window = policy.window(now);
            let refused = |refusal: Refusal| {
                tracing::warn!(purpose = purpose.name(), ?refusal, window_start = window.start, "rate limit reached");
                ApiError::TooManyRequests { retry_after_seconds: window.retry_after(now) }
            };
            // The email's item first: a flood from one source at one email, the lock-out
            // attempt, stops here at its own limit, in one request, and never reaches the
            // email's ceiling or this source's count.
            let (pk, sk) = email_counter_key(purpose, email, window);
            let attribute = source_attribute(source);
            let limits = (policy.per_source_and_email, policy.per_email);
            if !self.store.count_email_attempt(&pk, &sk, &attribute, limits, window.end).await? {
                return Err(refused(Refusal::Email));
            }
            let (source_pk, source_sk) = source_counter_key(purpose, source, window);
            if self.store.count_attempt(source_pk, source_sk, policy.per_source, window.end).await? {
                return Ok(());
            }
            // Refused after all: take the attempt back from the email's item, so that a
            // source over its ceiling spends nothing of the email's. (If this fails the
            // attempt stays counted: an over-count, never an under-count.)
            if let Err(err) = self.store.uncount_email_attempt(&pk, &sk, &attribute).await {
                tracing::error!(error = %err, "could not take back a refused attempt");
            }
            Err(refused(Refusal::Source))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn email(text: &str) -> Email {
        Email::from_str(text).unwrap()
    }

    fn source(text: &str) -> SourceAddress {
        SourceAddress::from_source_ip(Some(text))
    }

    #[test]
    fn windows_are_fixed_and_aligned() {
        let policy = Policy { window_seconds: 900, ..PASSWORD_ATTEMPTS };
        // 2026-11-23T19:40:00Z lies in the window that started at 19:30.
        let now = 1_795_462_800;
        let window = policy.window(now);
        assert_eq!(window.start % 900, 0);
        assert!(window.start <= now && now < window.end);
        assert_eq!(window.end - window.start, 900);
        // Every instant of a window maps to it; the next second after it, to the next.
        assert_eq!(policy.window(window.start), window);
        assert_eq!(policy.window(window.end - 1), window);
        assert_eq!(policy.window(window.end), Window { start: window.end, end: window.end + 900 });
        assert_eq!(policy.window(-1), Window { start: -900, end: 0 });
    }

    #[test]
    fn retry_after_counts_down_to_the_window_end_and_never_to_zero() {
        let policy = RESEND_CODE;
        let start = 1_795_460_400; // a multiple of 3600: a window's first second
        assert_eq!(start % 3600, 0);
        let window = policy.window(start);
        assert_eq!(window.retry_after(start), 3600);
        assert_eq!(window.retry_after(start + 3599), 1);
        assert_eq!(window.retry_after(start + 3600), 1);
        assert_eq!(window.retry_after(start + 10_000), 1);
    }

    #[test]
    fn the_keys_change_when_the_window_rolls_over() {
        let ana = email("ana@example.com");
        let home = source("198.51.100.7");
        let policy = Purpose::StaffLogin.policy();
        let last_second = policy.window(1_795_462_800).end - 1;
        let (before, after) = (policy.window(last_second), policy.window(last_second + 1));
        for (a, b) in [
            (email_counter_key(Purpose::StaffLogin, &ana, before), email_counter_key(Purpose::StaffLogin, &ana, after)),
            (
                source_counter_key(Purpose::StaffLogin, home, before),
                source_counter_key(Purpose::StaffLogin, home, after),
            ),
        ] {
            assert_eq!(a.0, b.0, "one partition per purpose and email (or source)");
            assert_ne!(a.1, b.1, "a new window is a new counter");
        }
        assert_eq!(
            email_counter_key(Purpose::StaffLogin, &ana, before),
            email_counter_key(Purpose::StaffLogin, &ana, policy.window(last_second - 899))
        );
    }

    #[test]
    fn keys_hold_hashes_of_the_normalised_email_and_source_and_the_purpose() {
        let ana = email("  Ana@Example.COM ");
        let home = source("198.51.100.7");
        let window = Window { start: 1_795_462_200, end: 1_795_463_100 };
        let (pk, sk) = email_counter_key(Purpose::ResendCode, &ana, window);
        assert_eq!(pk, format!("RATE#resend-code#EMAIL#{}", email_hash(&email("ana@example.com"))));
        assert_eq!(sk, "WINDOW#1795462200");
        assert!(!pk.to_lowercase().contains("ana") && !pk.contains('@'), "{pk}");
        assert_eq!(email_hash(&ana).len(), 64);
        let (pk, sk) = source_counter_key(Purpose::ResendCode, home, window);
        assert_eq!(pk, format!("RATE#resend-code#SOURCE#{}", source_hash(home)));
        assert_eq!(sk, "WINDOW#1795462200");
        assert!(!pk.contains("198") && !pk.contains("51.100"), "{pk}");
        assert_eq!(source_hash(home), crate::tokens::hash("v4:198.51.100.7"));
        let attribute = source_attribute(home);
        assert_eq!(attribute, format!("src_{}", &source_hash(home)[..16]));
        assert!(!attribute.contains("198"), "{attribute}");
        // Each purpose, email and source has its own counter; the two kinds never meet.
        let mut keys: Vec<_> = Purpose::ALL.iter().map(|p| email_counter_key(*p, &ana, window).0).collect();
        keys.extend(Purpose::ALL.iter().map(|p| source_counter_key(*p, home, window).0));
        keys.push(email_counter_key(Purpose::ResendCode, &email("bo@example.com"), window).0);
        keys.push(source_counter_key(Purpose::ResendCode, source("198.51.100.8"), window).0);
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 2 * Purpose::ALL.len() + 2);
    }

    #[test]
    fn sources_count_apart_except_within_one_ipv6_64() {
        let attribute = |text| source_attribute(source(text));
        assert_ne!(attribute("127.0.0.1"), attribute("127.0.0.2"));
        assert_ne!(attribute("2001:db8:0:1::1"), attribute("2001:db8:0:2::1"));
        assert_eq!(attribute("2001:db8:0:1::1"), attribute("2001:db8:0:1:ffff::9"));
        assert_eq!(attribute("garbage"), source_attribute(SourceAddress::Unknown));
        assert_ne!(source_attribute(SourceAddress::Unknown), attribute("127.0.0.1"));
    }

    #[test]
    fn every_policy_resists_both_guessing_and_lock_out() {
        for purpose in Purpose::ALL {
            let p = purpose.policy();
            // One source alone can never lock an email out: the ceiling is well above the
            // tight limit, so it takes several sources at once.
            assert!(p.per_email > p.per_source_and_email, "{purpose:?}: {p:?}");
            assert!(p.sources_to_lock_out() >= 3, "{purpose:?}: {p:?}");
            // One source's own limit lets a person retry a few times.
            assert!(p.per_source_and_email >= 3 && p.window_seconds >= 60, "{purpose:?}: {p:?}");
            // A source may try more than one email (colleagues behind one address), but is
            // bounded across emails.
            assert!(p.per_source >= p.per_source_and_email, "{purpose:?}: {p:?}");
        }
        // The numbers docs/security.md states.
        assert_eq!(PASSWORD_ATTEMPTS.sources_to_lock_out(), 10);
        assert_eq!(PASSWORD_ATTEMPTS.per_email * 4, 400, "guesses an hour per account");
        assert_eq!(CODE_ATTEMPTS.sources_to_lock_out(), 4);
        assert_eq!(CODE_ATTEMPTS.per_email * 4, 80, "guesses of a code an hour");
        assert_eq!(FORGOT_PASSWORD.sources_to_lock_out(), 4);
        assert_eq!(RESEND_CODE.sources_to_lock_out(), 4);
        assert_eq!(COMPANY_SIGNUP.sources_to_lock_out(), 4);
    }

    #[test]
    fn every_purpose_counts_one_public_route_of_the_route_table() {
        for purpose in Purpose::ALL {
            let route = crate::routes::ROUTES.iter().find(|r| r.key() == purpose.route());
            assert!(
                route.is_some_and(|r| r.authorizer == crate::routes::Authorizer::Public),
                "{purpose:?}: {} is not a public route",
                purpose.route()
            );
        }
    }

    #[test]
    fn the_multiplier_raises_every_limit_and_keeps_the_window() {
        let raised = PASSWORD_ATTEMPTS.times(1000);
        assert_eq!(
            raised,
            Policy { window_seconds: 900, per_source_and_email: 10_000, per_email: 100_000, per_source: 1_000_000 }
        );
        assert_eq!(RESEND_CODE.times(0), RESEND_CODE);
        let max = Policy { window_seconds: 1, per_source_and_email: u32::MAX, per_email: u32::MAX, per_source: 1 };
        assert_eq!(max.times(2).per_email, u32::MAX);
        assert_eq!(max.times(2).per_source, 2);
        assert_eq!(Policy { per_source_and_email: 0, ..max }.sources_to_lock_out(), u32::MAX);
    }
}
