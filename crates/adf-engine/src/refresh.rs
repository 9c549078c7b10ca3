//! Reading live state: one GET for the resource group, one for the factory, and one list per
//! child kind (all concurrently), never one GET per entity, so a plan costs pages, not entities.

use crate::EngineError;
use adf_arm::ArmClient;
use adf_core::{ADF_API_VERSION, FactoryTarget, Kind, RESOURCES_API_VERSION, ResourceAddress};
use adf_plan::{LiveResource, LiveState};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Reads what exists of `target`. With `list_group`, also lists the other resources in the
/// resource group (destroy needs that to decide whether the group may go).
pub async fn refresh(
    client: &ArmClient,
    target: &FactoryTarget,
    list_group: bool,
) -> Result<LiveState, EngineError> {
    let group_path = target.resource_group_path();
    let factory_path = target.factory_path();
    let (group, factory) = tokio::join!(
        client.get_optional(&group_path, RESOURCES_API_VERSION),
        client.get_optional(&factory_path, ADF_API_VERSION),
    );
    let group = group.map_err(|source| refresh_error("the resource group", source))?;
    let factory = factory.map_err(|source| refresh_error("the factory", source))?;

    let mut live = LiveState::empty();
    if let Some(group) = group {
        live.resources.push(LiveResource::new(
            ResourceAddress::new(Kind::ResourceGroup, &target.resource_group),
            group.body,
        ));
    }
    let Some(factory) = factory else {
        if list_group && !live.resources.is_empty() {
            live.other_resources_in_group = Some(list_group_resources(client, target).await?);
        }
        return Ok(live);
    };
    let factory_name = name_of(&factory.body).unwrap_or(&target.factory).to_owned();
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Factory, factory_name),
        factory.body,
    ));

    // The lists run concurrently, polled by this future rather than spawned: each page is
    // then parsed on the thread that awaits the refresh, whose allocator arena holds the
    // memory the spec's loading has just freed. Spawned, they were parsed on the runtime's
    // workers, in arenas of their own, and a plan's peak memory grew by all of live state.
    let lists: Vec<_> = Kind::CHILDREN
        .into_iter()
        .filter_map(|kind| {
            let path = target.collection_path(kind)?;
            Some(async move { (kind, client.list(&path, ADF_API_VERSION).await) })
        })
        .collect();
    let group_listing = async {
        if list_group {
            list_group_resources(client, target).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (group_listing, mut by_kind) = tokio::join!(group_listing, join_all(lists));
    live.other_resources_in_group = group_listing?;
    by_kind.sort_by_key(|(kind, _)| *kind);
    for (kind, items) in by_kind {
        let items = match items {
            // No managed virtual network yet: no private endpoints either.
            Err(source) if kind == Kind::ManagedPrivateEndpoint && source.is_not_found() => {
                Vec::new()
            }
            items => {
                items.map_err(|source| refresh_error(&format!("the {}s", kind.label()), source))?
            }
        };
        for item in items {
            if let Some(name) = name_of(&item) {
                let address = ResourceAddress::new(kind, name);
                live.resources.push(LiveResource::new(address, item));
            }
        }
    }
    Ok(live)
}

/// Runs `futures` concurrently on the current task; their outputs in the order they finish.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done = Vec::with_capacity(pending.len());
    std::future::poll_fn(|cx| {
        for slot in &mut pending {
            if let Some(future) = slot
                && let Poll::Ready(output) = future.as_mut().poll(cx)
            {
                done.push(output);
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done
}

/// The resources in the group other than this factory, by id.
async fn list_group_resources(
    client: &ArmClient,
    target: &FactoryTarget,
) -> Result<Vec<String>, EngineError> {
    let path = format!(
        "{}/resourceGroups/{}/resources",
        target.subscription_path(),
        target.resource_group
    );
    let items = client
        .list(&path, RESOURCES_API_VERSION)
        .await
        .map_err(|source| refresh_error("the resources in the group", source))?;
    let factory_suffix = format!("/factories/{}", target.factory).to_ascii_lowercase();
    Ok(items
        .iter()
        .filter_map(|item| item.get("id").and_then(Value::as_str))
        .filter(|id| !id.to_ascii_lowercase().ends_with(&factory_suffix))
        .map(str::to_owned)
        .collect())
}

fn name_of(body: &Value) -> Option<&str> {
    body.get("name").and_then(Value::as_str)
}

fn refresh_error(what: &str, source: adf_arm::ArmError) -> EngineError {
    EngineError::Refresh {
        what: what.to_owned(),
        source,
    }
}
