//! Every stable code a problem answer carries (`code` in `application/problem+json`), with
//! its HTTP status beside it: the one table. Integrators may rely on these; `docs/errors.md`
//! lists them, written from this table (a test keeps it so). A refusal is built with its
//! kind's code type, so a code cannot be given with another status.
//!
//! The codes of the wrong places within a problem (`errors[].code`: `required`, `decimal`,
//! `too_long`, an expression's `unknown_field`…) are the checkers' own (engine-form,
//! engine-rule) and are listed beside the codes here.

macro_rules! codes {
    ($(
        $(#[$doc:meta])*
        $kind:ident $status:literal $title:literal { $( $code:ident : $meaning:literal ),* $(,)? }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            #[allow(non_camel_case_types)]
            pub enum $kind { $( $code ),* }

            impl $kind {
                /// The HTTP status of every code of this kind.
                pub const STATUS: u16 = $status;
                /// The problem's `title`.
                pub const TITLE: &'static str = $title;

                pub fn as_str(self) -> &'static str {
                    match self { $( $kind::$code => stringify!($code) ),* }
                }
            }
        )*

        /// The codes of refusals: status, name and what each means.
        const REFUSALS: &[(u16, &str, &str)] = &[ $( $( ($status, stringify!($code), $meaning), )* )* ];
    };
}

macro_rules! fixed {
    ($( $code:ident $status:literal $title:literal : $meaning:literal ),* $(,)?) => {
        /// The codes of the other kinds of error, each with its own status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub enum FixedCode { $( $code ),* }

        impl FixedCode {
            pub fn as_str(self) -> &'static str {
                match self { $( FixedCode::$code => stringify!($code) ),* }
            }

            /// Its HTTP status (`http_error`: 0, the status the HTTP layer gave).
            pub fn status(self) -> u16 {
                match self { $( FixedCode::$code => $status ),* }
            }

            /// The problem's `title`.
            pub fn title(self) -> &'static str {
                match self { $( FixedCode::$code => $title ),* }
            }
        }

        const FIXED: &[(u16, &str, &str)] = &[ $( ($status, stringify!($code), $meaning), )* ];
    };
}

/// Every code: its status, its name and what it means, by status.
pub fn all() -> Vec<(u16, &'static str, &'static str)> {
    let mut all: Vec<_> = REFUSALS.iter().chain(FIXED).copied().collect();
    // By status, the HTTP layer's own (`http_error`, any status) last.
    all.sort_by_key(|&(status, code, _)| (status == 0, status, code));
    all
}

codes! {
    /// 400: a request that cannot be read as it stands.
    BadInputCode 400 "Bad request" {
        bad_action: "a bulk change's `action` is neither `update` nor `delete`",
        bad_advance: "a clock move's `advance_seconds` is outside 0 to 366 days",
        bad_body: "the request body could not be read",
        bad_columns: "a saved view's columns are not the form's fields, each once",
        bad_content_type: "an upload's Content-Type is longer than 255 bytes",
        bad_csv: "an import's file is not the CSV or workbook it should be (the directory's: not its CSV)",
        bad_cursor: "a cursor (`after`) this list did not give",
        bad_event_id: "an event's id is empty or too long",
        bad_form: "a handover names a form with no relation to the people's form",
        bad_ids: "a bulk change's ids: none, too many, or one twice",
        bad_if_match: "If-Match is not a record version",
        bad_instant: "a clock move's `to` is not an RFC 3339 instant with an offset",
        bad_key: "a bulk upsert's `key` is not a unique text or integer field of the form the caller reads",
        bad_limit: "a preview's `limit` is outside 1 to its maximum",
        bad_mapping: "an import's mapping names columns the file lacks, fields the form lacks, or no key column",
        bad_move: "a clock move gives neither or both of `to` and `advance_seconds`",
        bad_name: "a name (a file's, a view's) is empty, too long or holds hidden characters",
        bad_now: "a preview's or rule test's `now` is not an RFC 3339 instant",
        bad_path: "a path parameter is not what the route takes",
        bad_query: "a query parameter (`filter`, `fields`, `status`, `limit`…) is not one the route takes",
        bad_records: "a bulk upsert's records or an event batch's occurrences: none, too many, or one not a JSON object",
        bad_sort: "a list's `sort` names no sortable field",
        bad_state: "an outbox filter's `state` is not a state a message has",
        bad_test: "a rule test's record or event does not fit the rule",
        bad_token: "an API token's name or lifetime is out of bounds",
        bad_values: "a bulk update's `values` is not an object of the form's fields",
        bad_version: "a process migration names a version the app does not have",
        empty_file: "an upload with no bytes",
        flow_start: "a process cannot start with what was given",
        malformed_json: "the body is not JSON, or not the JSON the route takes",
        no_forms: "a handover names no form whose records are people",
        not_people: "a handover of a form whose records are not people (no `user_field`)",
        rule_action: "a rule's action cannot be carried out with what it was given",
        same_person: "a handover from a person to the same person",
        subject_required: "a process of a form started without its record",
        unknown_person: "a handover names a person who is not a user",
        weak_password: "a password shorter than the least length",
    }

    /// 401: no credentials, or credentials that do not hold.
    UnauthorizedCode 401 "Unauthorized" {
        invalid_token: "the session or API token is unknown, expired or revoked",
        locked: "the user name is locked after failed sign-ins from this address; try later",
        token_suspended: "the API token is suspended by a password change; its owner confirms it",
        unauthorized: "no session or API token",
        wrong_credentials: "the user name or password is wrong",
    }

    /// 403: credentials that do not allow this.
    ForbiddenCode 403 "Forbidden" {
        cross_site: "a cookie-signed change sent from another site",
        forbidden: "the caller's roles do not allow this",
        four_eyes: "a publish request approved by the one who asked",
        handover_refused: "only administrators and the manager of the person's unit hand over their work",
        not_a_candidate: "a claim of a task offered to a role or unit the caller does not hold",
        not_readable: "a filter, sort or expression reads what the caller does not see in clear",
        out_of_reach: "the record is outside the caller's rows",
        token_scope: "an API token may not do this (manage tokens, users or its own credentials)",
    }

    /// 409: the state of things does not allow it now.
    ConflictCode 409 "Conflict" {
        app_exists: "an import of an app that exists",
        busy: "the records are being changed by another bulk change; try again",
        clock_backwards: "a virtual clock moved to before where it stands",
        flow_error: "a process's engine refused the event",
        flow_runaway: "a process ran more steps in one event than it may",
        import_file_gone: "a run of an uploaded import whose file the server no longer keeps (upload it again)",
        import_running: "an import run while it runs, or cancelled when it does not",
        no_secret_key: "a channel with secrets on a server started without a key for them (TRELLIS_SECRET_KEY)",
        not_an_incident: "a retry of a firing that has not failed",
        not_claimed: "a task completed or handed on before it was claimed",
        not_suspended: "a confirmation of an API token that is not suspended",
        not_yours: "a task handed on by someone who neither holds it nor leads its holder",
        nothing_to_retry: "a retry of a firing with nothing left to do",
        process_ended: "an event for a process that has ended",
        request_decided: "a publish request decided meanwhile",
        rule_cascade: "rules triggering each other deeper than they may",
        still_linked: "a record deleted while others link to it",
        task_closed: "a task that is no longer open",
        task_held: "a task someone else holds",
        too_many_drafts: "more drafts of a kind, or characters in an app's drafts, than an app keeps",
        too_many_imports: "more imports holding an uploaded file than a user may have",
        too_many_uploads: "more unattached uploads, or bytes of them, than a user may have waiting",
        too_many_views: "more saved views of a form than a user keeps",
        unique_violation: "a value a unique field already has in another record",
        unsafe_migration: "a process migration whose mapping leaves a token nowhere",
        wall_clock: "a clock move on a server that runs on the wall clock",
    }
}

fixed! {
    not_found 404 "Not found": "no such thing, or none the caller may see",
    validation_failed 422 "Invalid record": "invalid values, each at its `errors[].path`",
    invalid_metadata 422 "Invalid metadata": "invalid metadata, each diagnostic at its path (and span)",
    invalid_expression 422 "Invalid expression": "an expression that does not check, each problem with its span",
    overflow 422 "Value out of range": "a value computed past what the database computes exactly",
    too_many_rows 422 "Too many rows": "a report over more rows than a report reads; narrow it with its parameters",
    too_slow 503 "Too slow": "a report that ran past its time limit",
    version_mismatch 412 "Record changed": "the record changed since the If-Match version",
    draft_changed 412 "Draft changed": "the draft changed since the If-Match revision: read it again, merge, save",
    version_required 428 "If-Match required": "an update without If-Match",
    payload_too_large 413 "Payload too large": "a body (or a draft) larger than the route takes",
    request_timeout 408 "Request timeout": "a body that did not arrive in time",
    too_many_requests 429 "Too many requests": "too many attempts; Retry-After says when to try again",
    method_not_allowed 405 "Method Not Allowed": "the path takes other methods (Allow names them)",
    unsupported_media_type 415 "Unsupported Media Type": "a body that is not `application/json` where JSON is taken",
    uri_too_long 414 "URI Too Long": "a request URI longer than the server reads",
    http_error 0 "Error": "an error the HTTP layer gave itself, with the status it gave",
    internal 500 "Internal error": "the server failed; the error is logged",
}
