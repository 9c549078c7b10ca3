//! What an expression can see: parameters, variables, activity results, the ForEach item, the
//! clock and a GUID source. The evaluator never reads the real clock or randomness; the
//! caller (the emulator) supplies them through [`Context`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::value::get_key;

/// A namespace of names an expression can look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `pipeline().parameters.NAME`
    PipelineParameter,
    /// `pipeline().globalParameters.NAME`
    GlobalParameter,
    /// `pipeline().NAME`: system variables such as `RunId`, `Pipeline`, `DataFactory`,
    /// `TriggerTime`, `TriggerType`, `TriggerId`, `TriggerName`, `GroupId`.
    System,
    /// `variables('NAME')`
    Variable,
    /// `activity('NAME')`: the activity's result object, conventionally with `output`,
    /// `error` and `status` properties.
    Activity,
    /// `dataset().NAME`
    DatasetParameter,
    /// `linkedService().NAME`
    LinkedServiceParameter,
    /// `trigger().NAME`, e.g. `scheduledTime`, `startTime`, `outputs`.
    Trigger,
}

/// The evaluation context. Implement it over the emulator's run state, or use [`Bindings`].
pub trait Context {
    /// The value of `name` in `scope`; `None` when it is not defined.
    fn lookup(&self, scope: Scope, name: &str) -> Option<Value>;
    /// Every name defined in `scope` (for whole-object access like `pipeline().parameters`,
    /// and for "available properties" and did-you-mean in errors).
    fn names(&self, scope: Scope) -> Vec<String>;
    /// The current ForEach item (or Filter item); `None` outside an iteration.
    fn item(&self) -> Option<Value>;
    /// The time `utcNow()` and `getFutureTime()` read.
    fn now(&self) -> OffsetDateTime;
    /// A new GUID for `guid()` (any common spelling with 32 hex digits).
    fn new_guid(&self) -> String;
}

/// A GUID generator shared by clones of a [`Bindings`].
pub type GuidSource = Arc<dyn Fn() -> String + Send + Sync>;

/// A [`Context`] made of plain maps: the simplest way to evaluate expressions.
///
/// Names are looked up exactly, then ignoring ASCII case. `guid()` returns
/// deterministic GUIDs (`00000000-0000-4000-8000-000000000001`, `...002`, ...) unless a
/// generator is set with [`Bindings::with_guid_source`]. `Debug` prints names, never values
/// (a parameter may be a secure string).
pub struct Bindings {
    /// `pipeline().parameters`
    pub pipeline_parameters: Map<String, Value>,
    /// `pipeline().globalParameters`
    pub global_parameters: Map<String, Value>,
    /// `pipeline().RunId` and the other system variables.
    pub system: Map<String, Value>,
    /// `variables('x')`
    pub variables: Map<String, Value>,
    /// `activity('a')`: activity name → result object (`{"output": ..., "status": ..., "error": ...}`).
    pub activities: Map<String, Value>,
    /// `dataset().x`
    pub dataset_parameters: Map<String, Value>,
    /// `linkedService().x`
    pub linked_service_parameters: Map<String, Value>,
    /// `trigger().x`
    pub trigger: Map<String, Value>,
    /// `item()`
    pub item: Option<Value>,
    /// What `utcNow()` returns.
    pub now: OffsetDateTime,
    guid_source: Option<GuidSource>,
    guid_counter: AtomicU64,
}

impl Bindings {
    /// Empty bindings whose clock reads `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Bindings {
            pipeline_parameters: Map::new(),
            global_parameters: Map::new(),
            system: Map::new(),
            variables: Map::new(),
            activities: Map::new(),
            dataset_parameters: Map::new(),
            linked_service_parameters: Map::new(),
            trigger: Map::new(),
            item: None,
            now,
            guid_source: None,
            guid_counter: AtomicU64::new(0),
        }
    }

    /// Uses `source` for `guid()` (e.g. random v4 UUIDs in the emulator).
    pub fn with_guid_source(mut self, source: GuidSource) -> Self {
        self.guid_source = Some(source);
        self
    }

    /// A copy with `item()` set: the context of one ForEach iteration.
    pub fn with_item(&self, item: Value) -> Self {
        let mut copy = self.clone();
        copy.item = Some(item);
        copy
    }

    fn map(&self, scope: Scope) -> &Map<String, Value> {
        match scope {
            Scope::PipelineParameter => &self.pipeline_parameters,
            Scope::GlobalParameter => &self.global_parameters,
            Scope::System => &self.system,
            Scope::Variable => &self.variables,
            Scope::Activity => &self.activities,
            Scope::DatasetParameter => &self.dataset_parameters,
            Scope::LinkedServiceParameter => &self.linked_service_parameters,
            Scope::Trigger => &self.trigger,
        }
    }
}

impl Clone for Bindings {
    fn clone(&self) -> Self {
        Bindings {
            pipeline_parameters: self.pipeline_parameters.clone(),
            global_parameters: self.global_parameters.clone(),
            system: self.system.clone(),
            variables: self.variables.clone(),
            activities: self.activities.clone(),
            dataset_parameters: self.dataset_parameters.clone(),
            linked_service_parameters: self.linked_service_parameters.clone(),
            trigger: self.trigger.clone(),
            item: self.item.clone(),
            now: self.now,
            guid_source: self.guid_source.clone(),
            guid_counter: AtomicU64::new(self.guid_counter.load(Ordering::Relaxed)),
        }
    }
}

impl fmt::Debug for Bindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |map: &Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
        f.debug_struct("Bindings")
            .field("pipeline_parameters", &names(&self.pipeline_parameters))
            .field("global_parameters", &names(&self.global_parameters))
            .field("system", &names(&self.system))
            .field("variables", &names(&self.variables))
            .field("activities", &names(&self.activities))
            .field("dataset_parameters", &names(&self.dataset_parameters))
            .field(
                "linked_service_parameters",
                &names(&self.linked_service_parameters),
            )
            .field("trigger", &names(&self.trigger))
            .field("item", &self.item.as_ref().map(|_| "<set>"))
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Context for Bindings {
    fn lookup(&self, scope: Scope, name: &str) -> Option<Value> {
        get_key(self.map(scope), name).cloned()
    }

    fn names(&self, scope: Scope) -> Vec<String> {
        self.map(scope).keys().cloned().collect()
    }

    fn item(&self) -> Option<Value> {
        self.item.clone()
    }

    fn now(&self) -> OffsetDateTime {
        self.now
    }

    fn new_guid(&self) -> String {
        match &self.guid_source {
            Some(source) => source(),
            None => {
                let n = self.guid_counter.fetch_add(1, Ordering::Relaxed) + 1;
                format!("00000000-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff)
            }
        }
    }
}
