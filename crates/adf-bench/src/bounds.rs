//! Lower bounds, as issue 6 defines them, computed from the plan itself (not from the waves the
//! engine happens to use, so that a bad wave split shows up as a ratio above 1).

use adf_plan::{Action, Plan};
use std::collections::HashMap;
use std::time::Duration;

/// Pages of a list of `items` at `page_size` per page: an empty list still costs one request.
pub fn pages(items: usize, page_size: usize) -> usize {
    items.div_ceil(page_size.max(1)).max(1)
}

/// The changes that cost a request in the change phase, grouped by dependency level: level 0
/// depends on nothing, level k on something of level k-1 (longest path). Counts per level.
pub fn dependency_levels(plan: &Plan) -> Vec<usize> {
    let active: Vec<_> = plan
        .changes
        .iter()
        .filter(|change| change.action != Action::NoOp)
        .collect();
    let index: HashMap<_, _> = active
        .iter()
        .enumerate()
        .map(|(i, change)| (&change.address, i))
        .collect();
    let mut level: Vec<Option<usize>> = vec![None; active.len()];
    // Longest path by memoised depth-first search; the plan is acyclic (the planner refuses
    // cycles), and a defensive visiting mark turns a cycle into level 0 rather than a hang.
    fn depth(
        i: usize,
        active: &[&adf_plan::ResourceChange],
        index: &HashMap<&adf_core::ResourceAddress, usize>,
        level: &mut Vec<Option<usize>>,
        visiting: &mut Vec<bool>,
    ) -> usize {
        if let Some(known) = level[i] {
            return known;
        }
        if visiting[i] {
            return 0;
        }
        visiting[i] = true;
        let mut mine = 0;
        for dependency in &active[i].depends_on {
            if let Some(&j) = index.get(dependency) {
                mine = mine.max(depth(j, active, index, level, visiting) + 1);
            }
        }
        visiting[i] = false;
        level[i] = Some(mine);
        mine
    }
    let mut visiting = vec![false; active.len()];
    for i in 0..active.len() {
        depth(i, &active, &index, &mut level, &mut visiting);
    }
    let mut counts = Vec::new();
    for (i, change) in active.iter().enumerate() {
        // A trigger whose only change is its runtime state costs no PUT in this phase.
        let costs =
            change.body_changed || matches!(change.action, Action::Delete | Action::Replace);
        let at = level[i].unwrap_or(0);
        if counts.len() <= at {
            counts.resize(at + 1, 0);
        }
        if costs {
            counts[at] += 1;
        }
    }
    counts
}

/// Apply's lower bound: Σ over dependency levels of ⌈changes in the level / parallelism⌉ ×
/// latency.
pub fn apply_lower_bound(levels: &[usize], parallelism: usize, latency: Duration) -> Duration {
    let rounds: usize = levels
        .iter()
        .map(|&count| count.div_ceil(parallelism.max(1)))
        .sum();
    latency * rounds as u32
}

/// Plan's lower bound: the longest chain of requests that must follow one another: the reads
/// that must come first (the factory's GET, in parallel with the group's: one round trip),
/// then the pages of the largest list, each needing the previous page's `nextLink`.
pub fn plan_lower_bound(largest_list_pages: usize, latency: Duration) -> Duration {
    latency * (1 + largest_list_pages) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use adf_core::{Kind, ResourceAddress};
    use adf_plan::ResourceChange;

    fn change(name: &str, depends_on: &[&str]) -> ResourceChange {
        let mut change = ResourceChange::new(
            ResourceAddress::new(Kind::Pipeline, name),
            format!("/p/{name}"),
            Action::Create,
        );
        change.body_changed = true;
        change.depends_on = depends_on
            .iter()
            .map(|d| ResourceAddress::new(Kind::Pipeline, *d))
            .collect();
        change
    }

    #[test]
    fn pages_round_up_and_an_empty_list_costs_one() {
        assert_eq!(pages(0, 50), 1);
        assert_eq!(pages(50, 50), 1);
        assert_eq!(pages(51, 50), 2);
        assert_eq!(pages(2750, 50), 55);
    }

    #[test]
    fn levels_follow_the_longest_dependency_path() {
        let plan = Plan {
            changes: vec![
                change("c", &["b", "a"]),
                change("a", &[]),
                change("b", &["a"]),
                change("d", &[]),
                change("e", &["a"]),
            ],
            target: adf_core::FactoryTarget {
                subscription: "s".into(),
                resource_group: "g".into(),
                factory: "f".into(),
            },
            mode: adf_plan::PlanMode::Apply,
            unmanaged: Vec::new(),
            kept: Vec::new(),
            external: Vec::new(),
            notes: Vec::new(),
            scope: None,
        };
        assert_eq!(dependency_levels(&plan), vec![2, 2, 1]);
        assert_eq!(
            apply_lower_bound(&[2, 2, 1], 2, Duration::from_millis(25)),
            Duration::from_millis(75)
        );
        assert_eq!(
            apply_lower_bound(&[9, 1], 8, Duration::from_millis(25)),
            Duration::from_millis(75)
        );
        assert_eq!(
            plan_lower_bound(20, Duration::from_millis(25)),
            Duration::from_millis(525)
        );
    }
}
