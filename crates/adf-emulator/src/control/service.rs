//! ARM and ADF semantics: one synchronous function from a decoded request to a reply. A
//! request that changes something runs on the store's writer ([`dispatch`]: serialised, its
//! writes committed together); a read ([`is_read`]) runs on a read-only connection in one read
//! transaction ([`read`]), concurrently with other requests. Either way a request sees one
//! consistent store.
//!
//! Error wordings come from ARM-FACTS.md §3 and §7 or from public issue threads quoting the
//! live service; the ones marked UNVERIFIED are our best guess (clients should key on status).

use crate::config::EmulatorConfig;
use crate::control::arm::{ApiFamily, ArmRequest, FactoryPath, Reply, Route, percent_encode};
use crate::control::change_data_capture as cdc;
use crate::control::event_subscription::{self as events, Status as SubscriptionStatus};
use crate::control::runs_api as runs;
use crate::store::{EntityRow, GroupRow, Operation, Scope, Store, fold};
use crate::wire::{ArmError, decode_offset, encode_offset, factory_id, timestamp, unix_ms};
use adf_core::{Kind, ResourceAddress, naming, rules, secret};
use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// The only Data Factory api-version (ARM-FACTS §1).
pub(crate) const ADF_API_VERSIONS: &[&str] = &["2018-06-01"];

/// Microsoft.Resources api-versions accepted for resource-group operations: the stable
/// versions the SDKs have shipped with (azure-mgmt-resource 23.x sends 2024-03-01 or later).
pub(crate) const RESOURCES_API_VERSIONS: &[&str] = &[
    "2016-02-01",
    "2016-07-01",
    "2016-09-01",
    "2017-05-10",
    "2018-02-01",
    "2018-05-01",
    "2018-08-01",
    "2019-03-01",
    "2019-05-01",
    "2019-05-10",
    "2019-07-01",
    "2019-08-01",
    "2019-10-01",
    "2020-06-01",
    "2020-08-01",
    "2020-10-01",
    "2021-01-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-01-01",
    "2025-03-01",
    "2025-04-01",
];

/// The tenant the emulator reports for managed identities.
const EMULATOR_TENANT: &str = "72f988bf-0000-0000-0000-00000000e001";

/// What a request asks of the run engine, beyond the store: the service returns these with its
/// reply, and the caller carries them out once the store's lock is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SideEffect {
    /// A run was queued (createRun): the engine should look now, not at its next poll.
    WakeEngine,
    /// A run was cancelled through the API: stop its execution (and its child runs').
    CancelRun(String),
}

/// A reply and the side effects the caller must carry out.
#[derive(Debug)]
pub(crate) struct Answer {
    pub reply: Reply,
    pub effects: Vec<SideEffect>,
}

/// Routes one request on `store` (the writer's batch or a reader's snapshot).
fn answer(
    config: &EmulatorConfig,
    store: &Store,
    request: &ArmRequest,
    route: &Route,
    now: OffsetDateTime,
) -> Result<Answer, ArmError> {
    let mut context = Context {
        config,
        store,
        request,
        now,
        effects: Vec::new(),
    };
    let reply = context.route(route)?;
    Ok(Answer {
        reply,
        effects: context.effects,
    })
}

/// Runs one request on the store's writer; its writes are committed (and synced) together
/// before it returns.
pub(crate) fn dispatch(
    config: &EmulatorConfig,
    store: &Store,
    request: &ArmRequest,
    route: &Route,
) -> Result<Answer, ArmError> {
    check_api_version(route.family(), request.query("api-version"))?;
    let now = config.clock.now();
    store.batch(|store| {
        complete_due_deletions(store, now)?;
        answer(config, store, request, route, now)
    })?
}

/// Whether a request only reads, so that [`read`] may answer it on a read-only connection.
/// GET and HEAD read, but for the poll of a resource-group deletion, which advances it; so do
/// the run queries, which are POSTs. (An event subscription's and a change data capture's
/// status are computed from the clock when read, never written by a GET.)
pub(crate) fn is_read(request: &ArmRequest, route: &Route) -> bool {
    match (route, &request.method) {
        (Route::OperationResult { .. }, _) => false,
        (_, &Method::GET | &Method::HEAD) => true,
        (Route::FactoryAction(_, action), &Method::POST) => matches!(
            action.as_str(),
            "querypipelineruns" | "querytriggerruns" | "querytriggers"
        ),
        (Route::PipelineRunAction(_, _, action), &Method::POST) => action == "queryactivityruns",
        _ => false,
    }
}

/// Answers a read ([`is_read`]) on a read-only connection, in one read transaction; `None`
/// when a resource-group deletion is due, which only the writer can complete (the caller then
/// sends the request to [`dispatch`]).
pub(crate) fn read(
    config: &EmulatorConfig,
    store: &Store,
    request: &ArmRequest,
    route: &Route,
) -> Result<Option<Answer>, ArmError> {
    check_api_version(route.family(), request.query("api-version"))?;
    let now = config.clock.now();
    store.read(|store| {
        if deletion_due(store, now)? {
            return Ok(None);
        }
        answer(config, store, request, route, now).map(Some)
    })
}

/// Checks `api-version` (ARM-FACTS §3 wordings).
pub(crate) fn check_api_version(family: ApiFamily, version: Option<&str>) -> Result<(), ArmError> {
    let supported = match family {
        ApiFamily::Resources => RESOURCES_API_VERSIONS,
        ApiFamily::DataFactory => ADF_API_VERSIONS,
    };
    match version {
        None | Some("") => Err(ArmError::arm(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if supported.contains(&v) => Ok(()),
        Some(v) => Err(ArmError::arm(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{}'.",
                supported
                    .iter()
                    .rev()
                    .copied()
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        )),
    }
}

/// Whether a resource-group deletion has passed its deadline without being completed.
fn deletion_due(store: &Store, now: OffsetDateTime) -> Result<bool, ArmError> {
    let now_ms = unix_ms(now);
    Ok(store
        .pending_operations()?
        .iter()
        .any(|(_, operation)| operation.deadline_ms <= now_ms))
}

/// Completes the resource-group deletions whose deadline has passed (polled or not).
fn complete_due_deletions(store: &Store, now: OffsetDateTime) -> Result<(), ArmError> {
    let now_ms = unix_ms(now);
    for (id, operation) in store.pending_operations()? {
        if operation.deadline_ms <= now_ms {
            complete_deletion(store, &id, &operation)?;
        }
    }
    Ok(())
}

fn complete_deletion(store: &Store, id: &str, operation: &Operation) -> Result<(), ArmError> {
    store.transaction(|store| -> Result<(), ArmError> {
        store.delete_group_contents(&operation.subscription, &operation.group)?;
        store.set_operation(id, 0, true)?;
        Ok(())
    })
}

/// Compares an `If-Match`/`If-None-Match` value with an etag: `*` matches anything; quotes,
/// `W/` and lists are handled (SDK 10.x quotes the value, 9.3 does not: ARM-FACTS §5).
pub(crate) fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').any(|candidate| {
        let candidate = candidate.trim();
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        let candidate = candidate.trim_matches('"');
        candidate == "*" || candidate == etag
    })
}

fn resource_group_not_found(group: &str) -> ArmError {
    ArmError::arm(
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        format!("Resource group '{group}' could not be found."),
    )
}

fn factory_not_found(group: &str, factory: &str) -> ArmError {
    ArmError::arm(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource 'Microsoft.DataFactory/factories/{factory}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// A missing child entity, as recorded for pipelines, data flows and integration runtimes
/// (PS TestPipelineV2, TestDataFlow, TestSelfHostedIntegrationRuntime; ARM-FACTS §12): the
/// target is the entity's full id as the caller spelled it, but for the lower-case collection.
/// The other kinds are assumed to answer alike (UNVERIFIED: no recording has their 404).
fn entity_not_found(at: &FactoryPath, kind: Kind, name: &str) -> ArmError {
    ArmError::adf(
        StatusCode::NOT_FOUND,
        "NotFound",
        "The document could not be retrieved because it does not exist.",
        Some(format!(
            "{}/{}/{name}",
            factory_id(&at.subscription, &at.group, &at.factory),
            collection_of(kind)
        )),
    )
}

fn group_being_deleted(group: &str) -> ArmError {
    // UNVERIFIED wording; the code is ARM's.
    ArmError::arm(
        StatusCode::CONFLICT,
        "ResourceGroupBeingDeleted",
        format!(
            "The resource group '{group}' is in deprovisioning state and cannot perform this operation."
        ),
    )
}

fn bad_request(message: impl Into<String>, target: Option<String>) -> ArmError {
    ArmError::adf(StatusCode::BAD_REQUEST, "BadRequest", message, target)
}

fn precondition_failed(header: &str) -> ArmError {
    // The status is RPC's; ADF's code and wording are UNVERIFIED.
    ArmError::arm(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        format!("The specified precondition '{header}' failed."),
    )
}

fn method_not_allowed(method: &Method) -> ArmError {
    // UNVERIFIED wording.
    ArmError::arm(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The HTTP method '{method}' is not supported at this path."),
    )
}

fn trigger_enabled() -> ArmError {
    // Exact message, trailing space included (ARM-FACTS §7).
    ArmError::adf(
        StatusCode::BAD_REQUEST,
        "TriggerEnabledCannotUpdate",
        "Cannot update enabled Trigger; the trigger needs to be disabled first. ",
        None,
    )
}

/// `/Microsoft.DataFactory/factories/{f}/{collection}/{name}`, the target ADF puts on errors.
fn adf_target(factory: &str, kind: Kind, name: &str) -> String {
    format!(
        "/Microsoft.DataFactory/factories/{factory}/{}/{name}",
        collection_of(kind)
    )
}

/// The lowercase collection segment ids use (`linkedservices`, `integrationruntimes`, …).
fn collection_of(kind: Kind) -> &'static str {
    kind.arm_type().rsplit('/').next().unwrap_or_default()
}

/// Object-size limits: ADF's documented ones (`adf_core::rules`), and the pipeline's 200 KB
/// for the kinds it documents none (UNVERIFIED, as is the error wording).
fn size_limit(kind: Kind) -> usize {
    rules::max_object_bytes(kind)
        .or(rules::max_object_bytes(Kind::Pipeline))
        .unwrap_or(usize::MAX)
}

/// A fresh etag in ADF's shape (`0a0062d4-0000-0000-0000-5b245bcf0000`).
fn new_etag(store: &Store, now: OffsetDateTime) -> Result<String, ArmError> {
    let seq = store.next_seq()?;
    Ok(format!(
        "{:08x}-0000-0000-0000-{:012x}",
        seq as u64 & 0xffff_ffff,
        now.unix_timestamp().max(0)
    ))
}

struct Context<'a> {
    config: &'a EmulatorConfig,
    store: &'a Store,
    request: &'a ArmRequest,
    now: OffsetDateTime,
    /// Side effects of the request, returned with its reply.
    effects: Vec<SideEffect>,
}

impl Context<'_> {
    fn route(&mut self, route: &Route) -> Result<Reply, ArmError> {
        let method = self.request.method.clone();
        match (route, &method) {
            (Route::Groups { subscription }, &Method::GET) => self.list_groups(subscription),
            (
                Route::Group {
                    subscription,
                    group,
                },
                m,
            ) => match *m {
                Method::PUT => self.put_group(subscription, group),
                Method::GET => self.get_group(subscription, group),
                Method::HEAD => self.head_group(subscription, group),
                Method::PATCH => self.patch_group(subscription, group),
                Method::DELETE => self.delete_group(subscription, group),
                _ => Err(method_not_allowed(m)),
            },
            (
                Route::GroupResources {
                    subscription,
                    group,
                },
                &Method::GET,
            ) => self.list_resources(subscription, Some(group)),
            (Route::SubscriptionResources { subscription }, &Method::GET) => {
                self.list_resources(subscription, None)
            }
            (
                Route::OperationResult {
                    subscription,
                    token,
                },
                &Method::GET,
            ) => self.operation_result(subscription, token),
            (Route::SubscriptionFactories { subscription }, &Method::GET) => {
                self.list_factories(subscription, None)
            }
            (
                Route::GroupFactories {
                    subscription,
                    group,
                },
                &Method::GET,
            ) => self.list_factories(subscription, Some(group)),
            (Route::Factory(at), m) => match *m {
                Method::PUT => self.put_factory(at),
                Method::GET => self.get_factory(at),
                Method::PATCH => self.patch_factory(at),
                Method::DELETE => self.delete_factory(at),
                _ => Err(method_not_allowed(m)),
            },
            (Route::Children(at, kind), &Method::GET) => self.list_children(at, *kind),
            (Route::PrivateEndpoints(at, vnet), &Method::GET) => {
                self.list_private_endpoints(at, vnet)
            }
            // ADF's API has no DELETE for a managed virtual network (it goes with the factory).
            (Route::Child(_, Kind::ManagedVirtualNetwork, _), m) if *m == Method::DELETE => {
                Err(method_not_allowed(m))
            }
            (Route::Child(at, kind, name), m) => match *m {
                Method::PUT => self.put_child(at, *kind, name),
                Method::GET => self.get_child(at, *kind, name),
                Method::DELETE => self.delete_child(at, *kind, name),
                _ => Err(method_not_allowed(m)),
            },
            (Route::ChildAction(at, kind, name, action), &Method::POST) => {
                self.child_action(at, *kind, name, action)
            }
            // The `Location` that subscribeToEvents and unsubscribeFromEvents answer with
            // (EX:Triggers_SubscribeToEvents) is polled with GET by the SDKs' pollers.
            (Route::ChildAction(at, Kind::Trigger, name, action), &Method::GET)
                if action == "geteventsubscriptionstatus" =>
            {
                self.poll_event_subscription(at, name)
            }
            (Route::ChildAction(at, Kind::ChangeDataCapture, name, action), &Method::GET)
                if action == "status" =>
            {
                self.change_data_capture_status(at, name)
            }
            (Route::FactoryAction(at, action), &Method::POST) => self.factory_action(at, action),
            (Route::PipelineRun(at, run_id), &Method::GET) => {
                self.require_factory(at)?;
                runs::get_pipeline_run(self.store, &scope_of(at), run_id)
            }
            (Route::PipelineRunAction(at, run_id, action), &Method::POST) => {
                let (group, factory) = self.require_factory(at)?;
                let scope = scope_of(at);
                let ctx = runs::RunContext {
                    store: self.store,
                    config: self.config,
                    now: self.now,
                };
                match action.as_str() {
                    "cancel" => {
                        let reply = runs::cancel(ctx, &scope, run_id)?;
                        self.effects.push(SideEffect::CancelRun(run_id.clone()));
                        Ok(reply)
                    }
                    "queryactivityruns" => {
                        runs::query_activity_runs(ctx, &scope, run_id, &self.request.json()?)
                    }
                    _ => Err(not_emulated(action, &group.name, &factory.name)),
                }
            }
            (Route::Unknown(Some(resource_type)), _) => Err(ArmError::arm(
                StatusCode::NOT_FOUND,
                "InvalidResourceType",
                format!(
                    "The resource type '{resource_type}' could not be found in the namespace 'Microsoft.DataFactory' for api version '2018-06-01'."
                ),
            )),
            (Route::Unknown(None), _) => Err(ArmError::arm(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The emulator serves no resource at this path.",
            )),
            (_, m) => Err(method_not_allowed(m)),
        }
    }

    // ---------- paging ----------

    /// One page of an ARM list held in memory (the small ones: groups, factories, a network's
    /// endpoints), with an absolute `nextLink` that keeps the query.
    fn page(&self, items: Vec<Value>) -> Value {
        let size = self.page_size();
        let skip = self
            .request
            .query("$skipToken")
            .and_then(decode_offset)
            .unwrap_or(0);
        let total = items.len();
        let value: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
        let next = skip.saturating_add(size);
        self.page_body(value, (next < total).then(|| encode_offset(next)))
    }

    fn page_size(&self) -> usize {
        self.config.page_size.max(1)
    }

    /// A list page: its items and, unless it is the last, a `nextLink` with `token` as its
    /// `$skipToken`.
    fn page_body(&self, value: Vec<Value>, token: Option<String>) -> Value {
        let mut body = json!({ "value": value });
        if let Some(link) = self.next_link(token) {
            body["nextLink"] = json!(link);
        }
        body
    }

    /// The `nextLink` of a page followed by the one at `token`: this request's URL with the
    /// token in place of its own.
    fn next_link(&self, token: Option<String>) -> Option<String> {
        let token = token?;
        let mut query: Vec<String> = self
            .request
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skipToken"))
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        query.push(format!("%24skipToken={token}"));
        Some(format!(
            "{}{}?{}",
            self.request.base_url,
            self.request.path,
            query.join("&")
        ))
    }

    // ---------- resource groups ----------

    fn require_group(&self, subscription: &str, group: &str) -> Result<GroupRow, ArmError> {
        self.store
            .group(subscription, group)?
            .ok_or_else(|| resource_group_not_found(group))
    }

    fn list_groups(&self, subscription: &str) -> Result<Reply, ArmError> {
        let groups = self.store.groups(subscription)?;
        let items = groups.iter().map(|g| group_json(subscription, g)).collect();
        Ok(Reply::json(StatusCode::OK, self.page(items)))
    }

    fn get_group(&self, subscription: &str, group: &str) -> Result<Reply, ArmError> {
        let row = self.require_group(subscription, group)?;
        Ok(Reply::json(StatusCode::OK, group_json(subscription, &row)))
    }

    fn head_group(&self, subscription: &str, group: &str) -> Result<Reply, ArmError> {
        Ok(match self.store.group(subscription, group)? {
            Some(_) => Reply::empty(StatusCode::NO_CONTENT),
            None => Reply::empty(StatusCode::NOT_FOUND),
        })
    }

    fn put_group(&mut self, subscription: &str, group: &str) -> Result<Reply, ArmError> {
        if let Err(error) = naming::check_name(Kind::ResourceGroup, group) {
            // The code is ARM's; the wording is ours (UNVERIFIED).
            return Err(ArmError::arm(
                StatusCode::BAD_REQUEST,
                "InvalidResourceGroup",
                format!("{error}; the rule: {}", error.rule),
            ));
        }
        let body = object_body(self.request)?;
        let Some(location) = body.get("location").and_then(Value::as_str) else {
            // UNVERIFIED wording.
            return Err(ArmError::arm(
                StatusCode::BAD_REQUEST,
                "LocationRequired",
                "The location property is required for this definition.",
            ));
        };
        let tags = body.get("tags").filter(|t| t.is_object()).cloned();
        let managed_by = body
            .get("managedBy")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let existing = self.store.group(subscription, group)?;
        let (row, status) = match existing {
            Some(existing) => {
                if existing.deleting {
                    return Err(group_being_deleted(&existing.name));
                }
                if rules::location(&existing.location) != rules::location(location) {
                    // UNVERIFIED wording; the code and status are ARM's.
                    return Err(ArmError::arm(
                        StatusCode::CONFLICT,
                        "InvalidResourceGroupLocation",
                        format!(
                            "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                            existing.location
                        ),
                    ));
                }
                let row = GroupRow {
                    tags,
                    managed_by,
                    ..existing
                };
                (row, StatusCode::OK)
            }
            None => (
                GroupRow {
                    name: group.to_owned(),
                    location: location.to_owned(),
                    tags,
                    managed_by,
                    deleting: false,
                },
                StatusCode::CREATED,
            ),
        };
        self.store.put_group(subscription, &row)?;
        Ok(Reply::json(status, group_json(subscription, &row)))
    }

    fn patch_group(&mut self, subscription: &str, group: &str) -> Result<Reply, ArmError> {
        let mut row = self.require_group(subscription, group)?;
        if row.deleting {
            return Err(group_being_deleted(&row.name));
        }
        let body = object_body(self.request)?;
        if let Some(tags) = body.get("tags").filter(|t| t.is_object()) {
            row.tags = Some(tags.clone());
        }
        if let Some(managed_by) = body.get("managedBy").and_then(Value::as_str) {
            row.managed_by = Some(managed_by.to_owned());
        }
        self.store.put_group(subscription, &row)?;
        Ok(Reply::json(StatusCode::OK, group_json(subscription, &row)))
    }

    fn delete_group(&mut self, subscription: &str, group: &str) -> Result<Reply, ArmError> {
        let mut row = self.require_group(subscription, group)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let operation = Operation {
            subscription: subscription.to_owned(),
            group: row.name.clone(),
            polls_left: self.config.delete_polls,
            deadline_ms: unix_ms(self.now) + self.config.delete_delay.as_millis() as i64,
            done: false,
        };
        row.deleting = true;
        self.store.transaction(|store| -> Result<(), ArmError> {
            store.put_group(subscription, &row)?;
            store.insert_operation(&id, &operation)?;
            Ok(())
        })?;
        let location = self.operation_location(subscription, &id, &row);
        Ok(Reply::empty(StatusCode::ACCEPTED)
            .with_header("location", location)
            .with_header("retry-after", self.config.delete_retry_after.to_string()))
    }

    /// ARM's opaque operation token: base64 JSON naming the deletion job (ARM-FACTS §2).
    fn operation_location(&self, subscription: &str, id: &str, row: &GroupRow) -> String {
        let job = json!({
            "jobId": format!(
                "RESOURCEGROUPDELETIONJOB-{}-{}",
                row.name.to_uppercase(),
                rules::location(&row.location).to_uppercase()
            ),
            "jobLocation": rules::location(&row.location),
            "operationId": id,
        });
        let token = URL_SAFE_NO_PAD.encode(job.to_string());
        let version = self.request.query("api-version").unwrap_or("2021-04-01");
        format!(
            "{}/subscriptions/{subscription}/operationresults/{token}?api-version={}",
            self.request.base_url,
            percent_encode(version)
        )
    }

    fn operation_result(&mut self, subscription: &str, token: &str) -> Result<Reply, ArmError> {
        let not_found = || {
            ArmError::arm(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("The operation '{token}' was not found."),
            )
        };
        let id = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|job| job.get("operationId")?.as_str().map(str::to_owned))
            .ok_or_else(not_found)?;
        let operation = self
            .store
            .operation(&id)?
            .filter(|op| op.subscription == subscription)
            .ok_or_else(not_found)?;
        if operation.done {
            return Ok(Reply::empty(StatusCode::OK));
        }
        if operation.polls_left > 0 {
            self.store
                .set_operation(&id, operation.polls_left - 1, false)?;
            let location = format!(
                "{}{}?{}",
                self.request.base_url,
                self.request.path,
                self.request
                    .query
                    .iter()
                    .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            );
            return Ok(Reply::empty(StatusCode::ACCEPTED)
                .with_header("location", location)
                .with_header("retry-after", self.config.delete_retry_after.to_string()));
        }
        complete_deletion(self.store, &id, &operation)?;
        Ok(Reply::empty(StatusCode::OK))
    }

    /// Resources_ListByResourceGroup and Resources_List: the factories (the only tracked
    /// resources the emulator holds), in ARM's GenericResource shape.
    fn list_resources(&self, subscription: &str, group: Option<&str>) -> Result<Reply, ArmError> {
        if let Some(group) = group {
            self.require_group(subscription, group)?;
        }
        let groups = self.store.groups(subscription)?;
        let items = self
            .store
            .factories(Some(subscription), group)?
            .into_iter()
            .map(|(_, group_key, factory)| {
                let group_name = groups
                    .iter()
                    .find(|g| fold(&g.name) == group_key)
                    .map_or(group_key.clone(), |g| g.name.clone());
                let full = factory_json(subscription, &group_name, &factory);
                let mut item = Map::new();
                for key in ["id", "name", "type", "location", "tags", "identity"] {
                    if let Some(value) = full.get(key) {
                        item.insert(key.to_owned(), value.clone());
                    }
                }
                Value::Object(item)
            })
            .collect();
        Ok(Reply::json(StatusCode::OK, self.page(items)))
    }

    // ---------- factories ----------

    fn require_factory(&self, at: &FactoryPath) -> Result<(GroupRow, EntityRow), ArmError> {
        let group = self.require_group(&at.subscription, &at.group)?;
        let factory = self
            .store
            .entity(&group_scope(at), Kind::Factory, &at.factory)?
            .ok_or_else(|| factory_not_found(&at.group, &at.factory))?;
        Ok((group, factory))
    }

    fn list_factories(&self, subscription: &str, group: Option<&str>) -> Result<Reply, ArmError> {
        let groups = self.store.groups(subscription)?;
        if let Some(group) = group
            && !groups.iter().any(|g| fold(&g.name) == fold(group))
        {
            return Err(resource_group_not_found(group));
        }
        let items = self
            .store
            .factories(Some(subscription), group)?
            .into_iter()
            .map(|(_, group_key, factory)| {
                let group_name = groups
                    .iter()
                    .find(|g| fold(&g.name) == group_key)
                    .map_or(group_key.clone(), |g| g.name.clone());
                factory_json(subscription, &group_name, &factory)
            })
            .collect();
        Ok(Reply::json(StatusCode::OK, self.page(items)))
    }

    fn get_factory(&self, at: &FactoryPath) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        if let Some(header) = &self.request.if_none_match
            && etag_matches(header, &factory.etag)
        {
            return Ok(Reply::empty(StatusCode::NOT_MODIFIED));
        }
        Ok(Reply::json(
            StatusCode::OK,
            factory_json(&at.subscription, &group.name, &factory),
        ))
    }

    fn check_if_match(&self, existing: Option<&EntityRow>) -> Result<(), ArmError> {
        if let Some(header) = &self.request.if_match {
            let matched = existing.is_some_and(|row| etag_matches(header, &row.etag));
            if !matched {
                return Err(precondition_failed(&format!("If-Match = {header}")));
            }
        }
        if let Some(header) = &self.request.if_none_match
            && let Some(row) = existing
            && etag_matches(header, &row.etag)
        {
            return Err(precondition_failed(&format!("If-None-Match = {header}")));
        }
        Ok(())
    }

    fn put_factory(&mut self, at: &FactoryPath) -> Result<Reply, ArmError> {
        let group = self.require_group(&at.subscription, &at.group)?;
        if group.deleting {
            return Err(group_being_deleted(&group.name));
        }
        if let Err(error) = naming::check_name(Kind::Factory, &at.factory) {
            // UNVERIFIED: ADF's code and wording for an invalid factory name.
            return Err(ArmError::adf(
                StatusCode::BAD_REQUEST,
                "InvalidResourceName",
                format!("{error}; the rule: {}", error.rule),
                None,
            ));
        }
        let body = object_body(self.request)?;
        let Some(location) = body.get("location").and_then(Value::as_str) else {
            return Err(ArmError::arm(
                StatusCode::BAD_REQUEST,
                "LocationRequired",
                "The location property is required for this definition.",
            ));
        };
        if let Some((subscription, group_key)) = self.store.factory_anywhere(&at.factory)?
            && (subscription != at.subscription || group_key != fold(&at.group))
        {
            return Err(ArmError::adf(
                StatusCode::CONFLICT,
                "DataFactoryNameInUse",
                format!(
                    "The specified resource name '{}' is already in use. Resource names must be globally unique.",
                    at.factory
                ),
                None,
            ));
        }
        let scope = group_scope(at);
        let existing = self.store.entity(&scope, Kind::Factory, &at.factory)?;
        self.check_if_match(existing.as_ref())?;
        let previous = existing.as_ref().map(|row| &row.body);
        let mut properties = Map::new();
        properties.insert("provisioningState".into(), json!("Succeeded"));
        properties.insert(
            "createTime".into(),
            previous
                .and_then(|b| b.pointer("/properties/createTime").cloned())
                .unwrap_or_else(|| json!(timestamp(self.now))),
        );
        properties.insert("version".into(), json!("2018-06-01"));
        if let Some(Value::Object(user)) = body.get("properties") {
            for (key, value) in user {
                if !matches!(key.as_str(), "provisioningState" | "createTime" | "version") {
                    properties.insert(key.clone(), value.clone());
                }
            }
        }
        let mut stored = Map::new();
        stored.insert("location".into(), json!(location));
        stored.insert(
            "tags".into(),
            body.get("tags")
                .filter(|t| t.is_object())
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
        if let Some(identity) = identity(body.get("identity"), previous) {
            stored.insert("identity".into(), identity);
        }
        stored.insert("properties".into(), Value::Object(properties));
        let stored = Value::Object(stored);
        let etag = new_etag(self.store, self.now)?;
        let name = existing
            .as_ref()
            .map_or(at.factory.clone(), |row| row.name.clone());
        self.store
            .put_entity(&scope, Kind::Factory, &name, &stored, &etag)?;
        let row = EntityRow {
            name,
            body: stored,
            etag,
        };
        Ok(Reply::json(
            StatusCode::OK,
            factory_json(&at.subscription, &group.name, &row),
        ))
    }

    fn patch_factory(&mut self, at: &FactoryPath) -> Result<Reply, ArmError> {
        let (group, mut factory) = self.require_factory(at)?;
        let body = object_body(self.request)?;
        if let Some(tags) = body.get("tags").filter(|t| t.is_object()) {
            factory.body["tags"] = tags.clone();
        }
        if let Some(identity) = identity(body.get("identity"), Some(&factory.body)) {
            factory.body["identity"] = identity;
        }
        if let Some(access) = body
            .get("properties")
            .and_then(|p| p.get("publicNetworkAccess"))
        {
            factory.body["properties"]["publicNetworkAccess"] = access.clone();
        }
        factory.etag = new_etag(self.store, self.now)?;
        self.store.put_entity(
            &group_scope(at),
            Kind::Factory,
            &factory.name,
            &factory.body,
            &factory.etag,
        )?;
        Ok(Reply::json(
            StatusCode::OK,
            factory_json(&at.subscription, &group.name, &factory),
        ))
    }

    fn delete_factory(&mut self, at: &FactoryPath) -> Result<Reply, ArmError> {
        self.require_group(&at.subscription, &at.group)?;
        let scope = group_scope(at);
        let name = at.factory.clone();
        let deleted = self
            .store
            .transaction(|store| store.delete_factory(&scope, &name))?;
        Ok(Reply::empty(if deleted {
            StatusCode::OK
        } else {
            StatusCode::NO_CONTENT
        }))
    }

    // ---------- child entities ----------

    /// A page of a factory's entities of a kind: only its own rows are read and rendered.
    fn list_children(&self, at: &FactoryPath, kind: Kind) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        let after = self
            .request
            .query("$skipToken")
            .and_then(decode_list_position)
            .unwrap_or(0);
        let (rows, next) =
            self.store
                .entities_page(&scope_of(at), kind, after, self.page_size())?;
        // Assembled from the stored renderings: nothing is parsed or masked per page.
        let mut text = String::from("{\"value\":[");
        for (index, row) in rows.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            let (id, name) = child_id(
                &at.subscription,
                &group.name,
                &factory.name,
                kind,
                &row.name,
            );
            text.push_str(&format!(
                "{{\"id\":{},\"name\":{},\"type\":{},\"properties\":{},\"etag\":{}}}",
                Value::from(id),
                Value::from(name),
                Value::from(kind.arm_type()),
                row.properties,
                Value::from(row.etag.as_str())
            ));
        }
        text.push(']');
        if let Some(link) = self.next_link(next.map(encode_list_position)) {
            text.push_str(&format!(",\"nextLink\":{}", Value::from(link)));
        }
        text.push('}');
        Ok(Reply::json_text(StatusCode::OK, text))
    }

    /// The endpoints of one managed virtual network (stored as `{vnet}/{endpoint}`); 404 when
    /// the network does not exist.
    fn list_private_endpoints(&self, at: &FactoryPath, vnet: &str) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        let scope = scope_of(at);
        if self
            .store
            .entity(&scope, Kind::ManagedVirtualNetwork, vnet)?
            .is_none()
        {
            return Err(entity_not_found(at, Kind::ManagedVirtualNetwork, vnet));
        }
        let prefix = format!("{}/", fold(vnet));
        let items = self
            .store
            .entities(&scope, Kind::ManagedPrivateEndpoint)?
            .iter()
            .filter(|row| fold(&row.name).starts_with(&prefix))
            .map(|row| {
                child_json(
                    &at.subscription,
                    &group.name,
                    &factory.name,
                    Kind::ManagedPrivateEndpoint,
                    row,
                )
            })
            .collect();
        Ok(Reply::json(StatusCode::OK, self.page(items)))
    }

    /// A managed private endpoint's PUT: its network must exist, and an existing endpoint
    /// cannot change (ADF has no update: delete it and create it again). The service adds
    /// the provisioning and approval state (ManagedPrivateEndpoints_Create.json): `Pending`
    /// until the owner of the target resource approves the private link.
    fn private_endpoint_put(
        &self,
        at: &FactoryPath,
        name: &str,
        properties: &mut Map<String, Value>,
        existing: Option<&EntityRow>,
        target: Option<String>,
    ) -> Result<(), ArmError> {
        let vnet = name.split_once('/').map_or(name, |(vnet, _)| vnet);
        if self
            .store
            .entity(&scope_of(at), Kind::ManagedVirtualNetwork, vnet)?
            .is_none()
        {
            return Err(entity_not_found(at, Kind::ManagedVirtualNetwork, vnet));
        }
        properties.entry("fqdns").or_insert(json!([]));
        if let Some(row) = existing {
            let settable = ["privateLinkResourceId", "groupId", "fqdns"];
            let differs = settable
                .iter()
                .any(|field| properties.get(*field) != row.body.get(*field));
            if differs {
                // UNVERIFIED wording; ADF refuses to update a managed private endpoint.
                return Err(bad_request(
                    "A managed private endpoint cannot be updated; delete it and create it again.",
                    target,
                ));
            }
            for field in ["provisioningState", "connectionState"] {
                if let Some(value) = row.body.get(field) {
                    properties.insert(field.into(), value.clone());
                }
            }
        } else {
            properties.insert("provisioningState".into(), json!("Succeeded"));
            properties.insert(
                "connectionState".into(),
                json!({"status": "Pending", "description": "", "actionsRequired": "None"}),
            );
        }
        Ok(())
    }

    fn get_child(&self, at: &FactoryPath, kind: Kind, name: &str) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        let row = self
            .store
            .entity(&scope_of(at), kind, name)?
            .ok_or_else(|| entity_not_found(at, kind, name))?;
        // DataFlows_Get declares no 304 in the swagger, but the service shares the code path.
        if let Some(header) = &self.request.if_none_match
            && etag_matches(header, &row.etag)
        {
            return Ok(Reply::empty(StatusCode::NOT_MODIFIED));
        }
        Ok(Reply::json(
            StatusCode::OK,
            child_json(&at.subscription, &group.name, &factory.name, kind, &row),
        ))
    }

    fn put_child(&mut self, at: &FactoryPath, kind: Kind, name: &str) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        if group.deleting {
            return Err(group_being_deleted(&group.name));
        }
        let target = Some(adf_target(&factory.name, kind, name));
        let own_name = name.rsplit_once('/').map_or(name, |(_, own)| own);
        if let Err(error) = naming::check_name(kind, own_name) {
            // UNVERIFIED: ADF's code and wording for an invalid entity name.
            return Err(ArmError::adf(
                StatusCode::BAD_REQUEST,
                "InvalidResourceName",
                format!("{error}; the rule: {}", error.rule),
                target,
            ));
        }
        if self.request.body.len() > size_limit(kind) {
            return Err(bad_request(
                format!(
                    "The document is {} bytes; Data Factory allows at most {} bytes for a {}.",
                    self.request.body.len(),
                    size_limit(kind),
                    kind.label()
                ),
                target,
            ));
        }
        let body = object_body(self.request)?;
        let Some(Value::Object(properties)) = body.get("properties") else {
            // UNVERIFIED wording.
            return Err(bad_request(
                "The request body must have a 'properties' object.",
                target,
            ));
        };
        let mut properties = properties.clone();
        for field in rules::required_properties(kind) {
            let present = match *field {
                "type" => properties.get("type").is_some_and(Value::is_string),
                field => properties.contains_key(field),
            };
            if !present {
                // UNVERIFIED wording; the swagger marks the field required for this kind.
                return Err(bad_request(
                    format!("The {} must have a '{field}' property.", kind.label()),
                    target,
                ));
            }
        }
        let scope = scope_of(at);
        let existing = self.store.entity(&scope, kind, name)?;
        self.check_if_match(existing.as_ref())?;
        if kind == Kind::Trigger
            && let Some(row) = &existing
        {
            self.refuse_while_subscription_changes(&row.body)?;
            if runtime_state(&row.body) == "Started" {
                return Err(trigger_enabled());
            }
        }
        let candidate = Value::Object(properties.clone());
        for reference in adf_core::desired::references(&candidate) {
            if reference.kind == Kind::IntegrationRuntime
                && rules::is_auto_resolve_integration_runtime(&reference.name)
            {
                continue;
            }
            let exists = self
                .store
                .entity(&scope, reference.kind, &reference.name)?
                .is_some();
            if !exists {
                // Live wording (ADF lowercases the name); the target is UNVERIFIED.
                return Err(bad_request(
                    format!(
                        "The document creation or update failed because of invalid reference '{}'.",
                        reference.name.to_lowercase()
                    ),
                    target,
                ));
            }
        }
        if kind == Kind::LinkedService {
            let kept = keep_stored_credentials(&mut properties, existing.as_ref());
            add_encrypted_credential(&mut properties, kept, &factory.name);
        }
        if kind == Kind::IntegrationRuntime {
            integration_runtime_state(&mut properties, existing.as_ref());
        }
        if kind == Kind::ManagedPrivateEndpoint {
            self.private_endpoint_put(at, name, &mut properties, existing.as_ref(), target)?;
        }
        if kind == Kind::ManagedVirtualNetwork {
            // Read-only, set by the service (ManagedVirtualNetworks_Create.json); the id is
            // kept for the network's life.
            let vnet_id = existing
                .as_ref()
                .and_then(|row| row.body.get("vNetId").cloned())
                .unwrap_or_else(|| json!(new_vnet_id(&etag_seed(&factory.name, name))));
            properties.insert("vNetId".into(), vnet_id);
            properties.insert("alias".into(), json!(factory.name));
        }
        if kind == Kind::Trigger {
            let state = existing
                .as_ref()
                .map_or("Stopped".to_owned(), |row| runtime_state(&row.body));
            properties.insert("runtimeState".into(), json!(state));
            events::carry_over(&mut properties, existing.as_ref().map(|row| &row.body));
        }
        if kind == Kind::ChangeDataCapture {
            cdc::carry_over(&mut properties, existing.as_ref().map(|row| &row.body));
        }
        let stored = Value::Object(properties);
        let etag = new_etag(self.store, self.now)?;
        let stored_name = existing
            .as_ref()
            .map_or(name.to_owned(), |r| r.name.clone());
        self.store
            .put_entity(&scope, kind, &stored_name, &stored, &etag)?;
        let row = EntityRow {
            name: stored_name,
            body: stored,
            etag,
        };
        Ok(Reply::json(
            StatusCode::OK,
            child_json(&at.subscription, &group.name, &factory.name, kind, &row),
        ))
    }

    fn delete_child(
        &mut self,
        at: &FactoryPath,
        kind: Kind,
        name: &str,
    ) -> Result<Reply, ArmError> {
        let (_, factory) = self.require_factory(at)?;
        let scope = scope_of(at);
        let Some(row) = self.store.entity(&scope, kind, name)? else {
            return Ok(Reply::empty(StatusCode::NO_CONTENT));
        };
        if kind == Kind::Trigger {
            self.refuse_while_subscription_changes(&row.body)?;
            if runtime_state(&row.body) == "Started" {
                return Err(trigger_enabled());
            }
        }
        let address = ResourceAddress::new(kind, row.name.clone());
        for (other_kind, other) in self.store.entities_mentioning(&scope, &row.name)? {
            if other_kind == kind && fold(&other.name) == fold(&row.name) {
                continue;
            }
            if adf_core::desired::references(&other.body).contains(&address) {
                // Live wording and target shape (liprec/azurebi-docs#102).
                return Err(bad_request(
                    format!(
                        "The document cannot be deleted since it is referenced by {}.",
                        other.name
                    ),
                    Some(adf_target(&factory.name, kind, &row.name)),
                ));
            }
        }
        self.store.delete_entity(&scope, kind, name)?;
        Ok(Reply::empty(StatusCode::OK))
    }

    fn child_action(
        &mut self,
        at: &FactoryPath,
        kind: Kind,
        name: &str,
        action: &str,
    ) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        let scope = scope_of(at);
        match (kind, action) {
            (Kind::Trigger, "start" | "stop") => {
                let mut row = self
                    .store
                    .entity(&scope, Kind::Trigger, name)?
                    .ok_or_else(|| entity_not_found(at, kind, name))?;
                let state = if action == "start" {
                    "Started"
                } else {
                    "Stopped"
                };
                if events::is_event_trigger(&row.body) {
                    // Starting subscribes, stopping unsubscribes (ADF Studio's publish relies
                    // on it); a start during either transition and a stop during
                    // provisioning are refused. A stop while deprovisioning repeats one that
                    // is under way, and succeeds (UNVERIFIED).
                    let status = self.subscription_status(&row.body);
                    let next = match (action, status) {
                        ("start", SubscriptionStatus::Enabled)
                        | ("stop", SubscriptionStatus::Disabled)
                        | ("stop", SubscriptionStatus::Deprovisioning) => None,
                        ("start", SubscriptionStatus::Disabled) => {
                            Some(SubscriptionStatus::Provisioning)
                        }
                        ("stop", SubscriptionStatus::Enabled) => {
                            Some(SubscriptionStatus::Deprovisioning)
                        }
                        (_, status) => return Err(events::busy(status)),
                    };
                    if let Some(next) = next {
                        events::begin(&mut row.body, next, self.now);
                    }
                }
                row.body["runtimeState"] = json!(state);
                row.etag = new_etag(self.store, self.now)?;
                self.store
                    .put_entity(&scope, Kind::Trigger, &row.name, &row.body, &row.etag)?;
                Ok(Reply::empty(StatusCode::OK))
            }
            (
                Kind::Trigger,
                "subscribetoevents" | "unsubscribefromevents" | "geteventsubscriptionstatus",
            ) => self.event_subscription_action(at, name, action),
            (Kind::ChangeDataCapture, "start" | "stop") => {
                let mut row = self
                    .store
                    .entity(&scope, Kind::ChangeDataCapture, name)?
                    .ok_or_else(|| entity_not_found(at, kind, name))?;
                // The state is not part of the resource (its GET does not show it): the etag
                // stays.
                cdc::set_running(&mut row.body, action == "start");
                self.store.put_entity(
                    &scope,
                    Kind::ChangeDataCapture,
                    &row.name,
                    &row.body,
                    &row.etag,
                )?;
                Ok(Reply::empty(StatusCode::OK))
            }
            (Kind::Pipeline, "createrun") => {
                let pipeline = self
                    .store
                    .entity(&scope, Kind::Pipeline, name)?
                    .ok_or_else(|| entity_not_found(at, kind, name))?;
                let parameters = self.request.json()?;
                let reference = self.request.query("referencePipelineRunId");
                let ctx = runs::RunContext {
                    store: self.store,
                    config: self.config,
                    now: self.now,
                };
                let reply = runs::create_run(ctx, &scope, &pipeline, parameters, reference)?;
                self.effects.push(SideEffect::WakeEngine);
                Ok(reply)
            }
            _ => Err(not_emulated(action, &group.name, &factory.name)),
        }
    }

    /// `GET …/adfcdcs/{name}/status`: the capture's status, a bare JSON string
    /// (EX:ChangeDataCapture_Status).
    fn change_data_capture_status(&self, at: &FactoryPath, name: &str) -> Result<Reply, ArmError> {
        self.require_factory(at)?;
        let row = self
            .store
            .entity(&scope_of(at), Kind::ChangeDataCapture, name)?
            .ok_or_else(|| entity_not_found(at, Kind::ChangeDataCapture, name))?;
        Ok(Reply::json(StatusCode::OK, json!(cdc::status(&row.body))))
    }

    /// The subscription's status now.
    fn subscription_status(&self, properties: &Value) -> SubscriptionStatus {
        events::observe(properties, self.now, self.config.event_subscription_delay)
    }

    /// ADF refuses to change an event trigger while its subscription is changing.
    fn refuse_while_subscription_changes(&self, properties: &Value) -> Result<(), ArmError> {
        if events::is_event_trigger(properties) {
            let status = self.subscription_status(properties);
            if status.is_transient() {
                return Err(events::busy(status));
            }
        }
        Ok(())
    }

    /// The event trigger `name`, or the error for a missing or non-event trigger.
    fn event_trigger(&self, at: &FactoryPath, name: &str) -> Result<EntityRow, ArmError> {
        let row = self
            .store
            .entity(&scope_of(at), Kind::Trigger, name)?
            .ok_or_else(|| entity_not_found(at, Kind::Trigger, name))?;
        if !events::is_event_trigger(&row.body) {
            let target = adf_target(&at.factory, Kind::Trigger, &row.name);
            return Err(events::not_an_event_trigger(&row.name, target));
        }
        Ok(row)
    }

    /// Triggers_SubscribeToEvents, Triggers_UnsubscribeFromEvents (long-running: 202 with a
    /// `Location` at getEventSubscriptionStatus while the change is under way, 200 with the
    /// status when there is nothing to do) and Triggers_GetEventSubscriptionStatus (200 with
    /// the status). Shapes from the swagger and EX:Triggers_SubscribeToEvents.
    fn event_subscription_action(
        &mut self,
        at: &FactoryPath,
        name: &str,
        action: &str,
    ) -> Result<Reply, ArmError> {
        let mut row = self.event_trigger(at, name)?;
        let status = self.subscription_status(&row.body);
        let next = match (action, status) {
            ("geteventsubscriptionstatus", status) => {
                return Ok(Reply::json(
                    StatusCode::OK,
                    events::status_body(&row.name, status),
                ));
            }
            ("subscribetoevents", SubscriptionStatus::Enabled)
            | ("unsubscribefromevents", SubscriptionStatus::Disabled) => {
                return Ok(Reply::json(
                    StatusCode::OK,
                    events::status_body(&row.name, status),
                ));
            }
            ("subscribetoevents", SubscriptionStatus::Disabled) => {
                Some(SubscriptionStatus::Provisioning)
            }
            ("unsubscribefromevents", SubscriptionStatus::Enabled) => {
                Some(SubscriptionStatus::Deprovisioning)
            }
            // Repeating an unsubscribe under way answers as the first one did (UNVERIFIED).
            ("unsubscribefromevents", SubscriptionStatus::Deprovisioning) => None,
            // A second subscribe while provisioning: microsoft/finops-toolkit#1996.
            (_, status) => return Err(events::busy(status)),
        };
        if let Some(next) = next {
            events::begin(&mut row.body, next, self.now);
            row.etag = new_etag(self.store, self.now)?;
            self.store.put_entity(
                &scope_of(at),
                Kind::Trigger,
                &row.name,
                &row.body,
                &row.etag,
            )?;
        }
        Ok(self.subscription_pending(at, &row.name))
    }

    /// 202 with the `Location` to poll (EX:Triggers_SubscribeToEvents).
    fn subscription_pending(&self, at: &FactoryPath, trigger: &str) -> Reply {
        let location = format!(
            "{}{}/triggers/{}/getEventSubscriptionStatus?api-version={}",
            self.request.base_url,
            factory_id(&at.subscription, &at.group, &at.factory),
            percent_encode(trigger),
            ADF_API_VERSIONS[0]
        );
        Reply::empty(StatusCode::ACCEPTED)
            .with_header("location", location)
            .with_header("retry-after", "1")
    }

    /// GET on the `Location` of a subscription change: 202 while it is under way, then 200
    /// with the status (the ARM long-running-operation convention; what ADF answers to this
    /// GET while provisioning is UNVERIFIED).
    fn poll_event_subscription(&mut self, at: &FactoryPath, name: &str) -> Result<Reply, ArmError> {
        self.require_factory(at)?;
        let row = self.event_trigger(at, name)?;
        let status = self.subscription_status(&row.body);
        if status.is_transient() {
            return Ok(self.subscription_pending(at, &row.name));
        }
        Ok(Reply::json(
            StatusCode::OK,
            events::status_body(&row.name, status),
        ))
    }

    fn factory_action(&mut self, at: &FactoryPath, action: &str) -> Result<Reply, ArmError> {
        let (group, factory) = self.require_factory(at)?;
        let scope = scope_of(at);
        let filter = self.request.json()?;
        let ctx = runs::RunContext {
            store: self.store,
            config: self.config,
            now: self.now,
        };
        match action {
            "querypipelineruns" => runs::query_pipeline_runs(ctx, &scope, &filter),
            "querytriggerruns" => runs::query_trigger_runs(ctx, &scope, &filter),
            "querytriggers" => {
                let parent = filter.get("parentTriggerName").and_then(Value::as_str);
                let items: Vec<Value> = self
                    .store
                    .entities(&scope, Kind::Trigger)?
                    .iter()
                    .filter(|row| {
                        parent.is_none_or(|p| {
                            row.body
                                .pointer("/typeProperties/parentTrigger")
                                .and_then(Value::as_str)
                                .is_some_and(|t| t.eq_ignore_ascii_case(p))
                        })
                    })
                    .map(|row| {
                        child_json(
                            &at.subscription,
                            &group.name,
                            &factory.name,
                            Kind::Trigger,
                            row,
                        )
                    })
                    .collect();
                Ok(Reply::json(StatusCode::OK, json!({ "value": items })))
            }
            _ => Err(not_emulated(action, &group.name, &factory.name)),
        }
    }
}

/// The `$skipToken` of a factory's child list: opaque to clients, the list position (creation
/// sequence) of the last item returned. Unlike an offset it stays right when items before it
/// are deleted or added meanwhile, and the next page starts there without counting.
fn encode_list_position(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{after}"))
}

fn decode_list_position(token: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("after:")?
        .parse()
        .ok()
        .filter(|after: &i64| *after >= 0)
}

fn not_emulated(action: &str, group: &str, factory: &str) -> ArmError {
    ArmError::arm(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!(
            "The emulator does not implement '{action}' (factory '{factory}' in resource group '{group}')."
        ),
    )
}

fn group_scope(at: &FactoryPath) -> Scope {
    Scope::new(&at.subscription, &at.group, "")
}

pub(crate) fn scope_of(at: &FactoryPath) -> Scope {
    Scope::new(&at.subscription, &at.group, &at.factory)
}

fn object_body(request: &ArmRequest) -> Result<Map<String, Value>, ArmError> {
    match request.json()? {
        Value::Object(map) => Ok(map),
        _ => Err(ArmError::arm(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: a JSON object is required.",
        )),
    }
}

fn runtime_state(properties: &Value) -> String {
    properties
        .get("runtimeState")
        .and_then(Value::as_str)
        .unwrap_or("Stopped")
        .to_owned()
}

/// A managed identity as the service returns it: `SystemAssigned` gains `principalId` and
/// `tenantId` (kept across updates).
fn identity(requested: Option<&Value>, previous: Option<&Value>) -> Option<Value> {
    let requested = requested.filter(|v| v.is_object())?;
    let mut identity = requested.clone();
    let system = requested
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("SystemAssigned"));
    if system {
        let old = previous.and_then(|b| b.get("identity"));
        let principal = old
            .and_then(|i| i.get("principalId").cloned())
            .unwrap_or_else(|| json!(uuid::Uuid::new_v4().to_string()));
        identity["principalId"] = principal;
        identity["tenantId"] = json!(EMULATOR_TENANT);
    }
    Some(identity)
}

/// Managed (Azure-SSIS) integration runtimes carry a read-only `state`, `Initial` once
/// created (PS TestSsisAzureIntegrationRuntime; Azure CLI test_datafactory_main); self-hosted
/// ones have none on the resource (only `getStatus` tells it). A `state` sent is ignored.
fn integration_runtime_state(properties: &mut Map<String, Value>, existing: Option<&EntityRow>) {
    properties.remove("state");
    if properties.get("type").and_then(Value::as_str) == Some("Managed") {
        let state = existing
            .and_then(|row| row.body.get("state").cloned())
            .unwrap_or_else(|| json!("Initial"));
        properties.insert("state".into(), state);
    }
}

/// A PUT that sends back the entity's own `encryptedCredential` keeps the secrets stored behind
/// it: a `SecureString` sent masked (`**********`) keeps its stored value, and a connection
/// string sent without its credential parts gets the stored ones back. That is how the Azure
/// CLI and ADF Studio save a linked service whose secrets they only see masked (CLI
/// test_datafactory_main, 2021; ARM-FACTS §12). With another `encryptedCredential` (say, one
/// issued by another factory), nothing is restored (UNVERIFIED). Returns whether the PUT sent
/// back the entity's own `encryptedCredential`.
fn keep_stored_credentials(
    properties: &mut Map<String, Value>,
    existing: Option<&EntityRow>,
) -> bool {
    let pointer = "/typeProperties/encryptedCredential";
    let Some(existing) = existing else {
        return false;
    };
    let sent = properties
        .get("typeProperties")
        .and_then(|t| t.get("encryptedCredential"));
    if sent.is_none() || sent != existing.body.pointer(pointer) {
        return false;
    }
    let mut body = Value::Object(std::mem::take(properties));
    for secret_pointer in secret::secure_string_pointers(&body) {
        if body.pointer(&secret_pointer).and_then(Value::as_str) == Some(secret::ARM_MASK)
            && let Some(stored) = existing.body.pointer(&secret_pointer)
            && let Some(slot) = body.pointer_mut(&secret_pointer)
        {
            *slot = stored.clone();
        }
    }
    let mut restore = Vec::new();
    secret::walk_connection_strings(&body, &mut |at, text| {
        if !secret::connection_string::credentials(text).is_empty() {
            return;
        }
        let Some(stored) = existing.body.pointer(at).and_then(Value::as_str) else {
            return;
        };
        let parts: Vec<String> = secret::connection_string::credentials(stored)
            .into_iter()
            .map(|(key, value)| format!("{key}={value};"))
            .collect();
        if !parts.is_empty() {
            let separator = if text.is_empty() || text.ends_with(';') {
                ""
            } else {
                ";"
            };
            restore.push((
                at.to_owned(),
                format!("{text}{separator}{}", parts.concat()),
            ));
        }
    });
    for (at, text) in restore {
        if let Some(slot) = body.pointer_mut(&at) {
            *slot = Value::String(text);
        }
    }
    if let Value::Object(map) = body {
        *properties = map;
    }
    true
}

/// Linked services that carry secrets (`SecureString` values, or credentials inside a plain
/// connection string, which ARM takes out: ARM-FACTS §12) gain an opaque `encryptedCredential`
/// (ARM-FACTS §6); the secrets stay stored behind it and are never returned. A PUT that sent
/// back the entity's own `encryptedCredential` (`kept`) keeps it: the CLI's linked-service
/// update shows it byte-identical across create, update and get (CLI test_datafactory_main,
/// 2021; ARM-FACTS §12).
fn add_encrypted_credential(properties: &mut Map<String, Value>, kept: bool, factory: &str) {
    if kept {
        return;
    }
    let body = Value::Object(properties.clone());
    let has_secrets = !secret::secure_string_pointers(&body).is_empty()
        || !secret::connection_string_credentials(&body).is_empty();
    if !has_secrets {
        return;
    }
    let credential = json!({
        "Version": "2017-11-30",
        "ProtectionMode": "Key",
        "SecretContentType": "Plaintext",
        // `<FACTORY>_<guid>`, as real ones decode (PS TestPipelineRunV2).
        "CredentialId": format!("{}_{}", factory.to_uppercase(), uuid::Uuid::new_v4()),
    });
    let encoded = STANDARD.encode(credential.to_string());
    match properties.get_mut("typeProperties") {
        Some(Value::Object(type_properties)) => {
            type_properties.insert("encryptedCredential".into(), json!(encoded));
        }
        _ => {
            properties.insert(
                "typeProperties".into(),
                json!({ "encryptedCredential": encoded }),
            );
        }
    }
}

fn group_json(subscription: &str, row: &GroupRow) -> Value {
    let mut body = Map::new();
    body.insert(
        "id".into(),
        json!(format!(
            "/subscriptions/{subscription}/resourceGroups/{}",
            row.name
        )),
    );
    body.insert("name".into(), json!(row.name));
    body.insert("type".into(), json!(Kind::ResourceGroup.arm_type()));
    body.insert("location".into(), json!(row.location));
    if let Some(managed_by) = &row.managed_by {
        body.insert("managedBy".into(), json!(managed_by));
    }
    if let Some(tags) = &row.tags {
        body.insert("tags".into(), tags.clone());
    }
    body.insert(
        "properties".into(),
        json!({"provisioningState": if row.deleting { "Deleting" } else { "Succeeded" }}),
    );
    Value::Object(body)
}

/// A factory as ARM returns it: `eTag` (capital T) with a quoted value (ARM-FACTS §5).
pub(crate) fn factory_json(subscription: &str, group: &str, row: &EntityRow) -> Value {
    let mut body = Map::new();
    body.insert("name".into(), json!(row.name));
    if let Some(identity) = row.body.get("identity") {
        body.insert("identity".into(), identity.clone());
    }
    body.insert(
        "id".into(),
        json!(factory_id(subscription, group, &row.name)),
    );
    body.insert("type".into(), json!(Kind::Factory.arm_type()));
    body.insert(
        "properties".into(),
        row.body
            .get("properties")
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    body.insert("eTag".into(), json!(format!("\"{}\"", row.etag)));
    for key in ["location", "tags"] {
        if let Some(value) = row.body.get(key) {
            body.insert(key.into(), value.clone());
        }
    }
    Value::Object(body)
}

/// A child entity as ADF returns it: `etag` unquoted, secrets masked (ARM-FACTS §5, §6).
/// A GUID-shaped id derived from `seed` (the emulator is deterministic).
fn new_vnet_id(seed: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let hex = format!("{hash:016x}{:016x}", hash.rotate_left(17));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn etag_seed(factory: &str, name: &str) -> String {
    format!("{}/{}", fold(factory), fold(name))
}

pub(crate) fn child_json(
    subscription: &str,
    group: &str,
    factory: &str,
    kind: Kind,
    row: &EntityRow,
) -> Value {
    let (id, name) = child_id(subscription, group, factory, kind, &row.name);
    json!({
        "id": id,
        "name": name,
        "type": kind.arm_type(),
        "properties": crate::shown::properties(&row.body),
        "etag": row.etag,
    })
}

/// A child's `id` and `name` from its stored name (a managed private endpoint is stored as
/// `{vnet}/{endpoint}`: its id has the network in its path).
fn child_id<'a>(
    subscription: &str,
    group: &str,
    factory: &str,
    kind: Kind,
    stored_name: &'a str,
) -> (String, &'a str) {
    let (collection, name) = match (kind, stored_name.split_once('/')) {
        (Kind::ManagedPrivateEndpoint, Some((vnet, endpoint))) => (
            format!("managedVirtualNetworks/{vnet}/managedPrivateEndpoints"),
            endpoint,
        ),
        _ => (collection_of(kind).to_owned(), stored_name),
    };
    (
        format!(
            "{}/{collection}/{name}",
            factory_id(subscription, group, factory)
        ),
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_positions_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_list_position(&encode_list_position(150)), Some(150));
        assert_eq!(decode_list_position("nonsense"), None);
        assert_eq!(decode_list_position(&encode_offset(150)), None);
        assert_eq!(decode_list_position(&encode_list_position(-1)), None);
    }

    #[test]
    fn etags_compare_without_quotes_and_weak_prefix() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("W/\"abc\"", "abc"));
        assert!(etag_matches("abc", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(etag_matches("x, \"abc\"", "abc"));
        assert!(!etag_matches("abd", "abc"));
    }
}
