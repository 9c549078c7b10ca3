// adfctl monitor: a read-only view of this emulator's ARM API, in plain JavaScript (no build
// step, no library). Every figure on the page comes from an ARM call the page makes to its own
// origin; the only other endpoint it reads is /_emulator/subscriptions (where to start).
//
// Views, by path:
//   /  or /monitor                                         factories
//   /monitor/subscriptions/S/resourceGroups/G/factories/F  pipelines, pipeline runs, trigger runs
//   …/factories/F/pipelines/P                              one pipeline's activity graph
//   …/factories/F/runs/R                                   one run: its activity runs as a timeline
"use strict";

const API_VERSION = "api-version=2018-06-01";
// The emulator accepts any bearer token; this one names the caller in nothing but intent.
const HEADERS = { Authorization: "Bearer adfctl-monitor" };
const ACTIVE = new Set(["Queued", "InProgress", "Canceling"]);
const MARK = { Succeeded: "✓", Failed: "✗", InProgress: "…", Queued: "…", Canceling: "…", Cancelled: "–", Skipped: "–" };
const SVG_NS = "http://www.w3.org/2000/svg";
// Wide enough for every run the emulator keeps; the emulator's clock may be moved by tests.
const WINDOW = { lastUpdatedAfter: "2000-01-01T00:00:00Z", lastUpdatedBefore: "2200-01-01T00:00:00Z" };

// ---------- ARM calls ----------

async function armFetch(method, url, body) {
  const init = { method, headers: { ...HEADERS } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new Error(`${method} ${url.split("?")[0]}: ${response.status} ${error.code || ""} ${error.message || text}`.trim());
  }
  return json;
}

function withVersion(path) {
  return path + (path.includes("?") ? "&" : "?") + API_VERSION;
}

// Same-origin form of an absolute nextLink.
function local(link) {
  const url = new URL(link, location.href);
  return url.pathname + url.search;
}

async function armList(path) {
  let items = [];
  let url = withVersion(path);
  for (let page = 0; url && page < 50; page++) {
    const body = await armFetch("GET", url);
    items = items.concat((body && body.value) || []);
    url = body && body.nextLink ? local(body.nextLink) : null;
  }
  return items;
}

// A run query (queryPipelineRuns, queryTriggerRuns, queryActivityruns), every page up to `limit` items.
async function armQuery(path, extra, limit) {
  let items = [];
  let token = null;
  do {
    const body = { ...WINDOW, ...extra };
    if (token) body.continuationToken = token;
    const answer = await armFetch("POST", withVersion(path), body);
    items = items.concat((answer && answer.value) || []);
    token = answer && answer.continuationToken;
  } while (token && items.length < limit);
  return items;
}

// ---------- small helpers ----------

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "open") element.open = true;
    else element.setAttribute(key, value);
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function s(tag, attributes, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
  append(element, children);
  return element;
}

function enc(text) { return encodeURIComponent(text); }

function parseTime(text) {
  if (!text) return null;
  // ADF writes seven fractional digits; Date wants at most three.
  const t = Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(t) ? null : t;
}

function when(text) {
  const t = parseTime(text);
  if (t === null) return "–";
  return new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function duration(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function runDuration(run, startKey, endKey, durationKey) {
  if (run[durationKey] !== null && run[durationKey] !== undefined) return run[durationKey];
  const start = parseTime(run[startKey]);
  if (start === null) return null;
  const end = parseTime(run[endKey]);
  return ACTIVE.has(run.status) || end === null ? Math.max(0, Date.now() - start) : end - start;
}

function status(text) {
  const word = text || "Unknown";
  return h("span", { class: `status ${word}` }, `${MARK[word] || "•"} ${word}`);
}

function json(value) {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}

function parameters(object) {
  const entries = Object.entries(object || {});
  if (entries.length === 0) return h("span", { class: "empty" }, "none");
  return entries.map(([key, value], i) => [i ? ", " : "", h("code", {}, key), "=", typeof value === "string" ? value : JSON.stringify(value)]);
}

function invokedBy(run, factory) {
  const by = run.invokedBy || {};
  const kind = by.invokedByType || "";
  const label = `${by.name || "?"}${kind && kind !== by.name ? ` (${kind})` : ""}`;
  if (by.pipelineRunId && factory) {
    return [label, " of ", h("a", { href: `${factory.base}/runs/${enc(by.pipelineRunId)}` }, `${by.pipelineName || "parent"} run`)];
  }
  return label;
}

// ---------- where we are ----------

function route() {
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "monitor" && parts.length >= 7 && parts[1] === "subscriptions" && parts[3] === "resourceGroups" && parts[5] === "factories") {
    const [subscription, group, name] = [parts[2], parts[4], parts[6]];
    const factory = {
      subscription, group, name,
      arm: `/subscriptions/${enc(subscription)}/resourceGroups/${enc(group)}/providers/Microsoft.DataFactory/factories/${enc(name)}`,
      base: `/monitor/subscriptions/${enc(subscription)}/resourceGroups/${enc(group)}/factories/${enc(name)}`,
    };
    if (parts[7] === "pipelines" && parts[8]) return { view: "pipeline", factory, pipeline: parts[8] };
    if (parts[7] === "runs" && parts[8]) return { view: "run", factory, runId: parts[8] };
    return { view: "factory", factory };
  }
  return { view: "home" };
}

function crumbs(where) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren();
  const items = [h("a", { href: "/" }, "Factories")];
  if (where.factory) {
    items.push(h("a", { href: where.factory.base }, where.factory.name));
  }
  if (where.view === "pipeline") items.push(h("span", {}, `pipeline ${where.pipeline}`));
  if (where.view === "run") items.push(h("span", {}, `run ${where.runId}`));
  items.forEach((item, i) => append(nav, [i ? h("span", { class: "sep" }, "›") : null, item]));
}

// ---------- views: each loads its data, then draws it ----------

async function loadHome() {
  const subscriptions = await armFetch("GET", "/_emulator/subscriptions");
  const factories = [];
  for (const subscription of (subscriptions && subscriptions.value) || []) {
    const found = await armList(`/subscriptions/${enc(subscription.subscriptionId)}/providers/Microsoft.DataFactory/factories`);
    factories.push(...found);
  }
  return { factories };
}

function drawHome(data) {
  const rows = data.factories.map((factory) => {
    const match = /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(factory.id || "");
    const [subscription, group] = match ? [decodeURIComponent(match[1]), decodeURIComponent(match[2])] : ["?", "?"];
    const href = `/monitor/subscriptions/${enc(subscription)}/resourceGroups/${enc(group)}/factories/${enc(factory.name)}`;
    return h("tr", {}, h("td", {}, h("a", { href }, factory.name)), h("td", {}, group), h("td", { class: "mono" }, subscription), h("td", {}, factory.location || ""));
  });
  return [
    h("h1", {}, "Factories"),
    rows.length
      ? h("table", { class: "list", id: "factories" }, h("thead", {}, h("tr", {}, h("th", {}, "Factory"), h("th", {}, "Resource group"), h("th", {}, "Subscription"), h("th", {}, "Location"))), h("tbody", {}, rows))
      : h("p", { class: "empty" }, "No factories yet. Deploy one: adfctl apply -f SPEC --endpoint <this address>."),
  ];
}

async function loadFactory(factory) {
  const [pipelines, runs, triggerRuns] = await Promise.all([
    armList(`${factory.arm}/pipelines`),
    armQuery(`${factory.arm}/queryPipelineRuns`, { orderBy: [{ orderBy: "RunStart", order: "DESC" }] }, 100),
    armQuery(`${factory.arm}/queryTriggerRuns`, { orderBy: [{ orderBy: "TriggerRunTimestamp", order: "DESC" }] }, 50),
  ]);
  return { pipelines, runs: runs.slice(0, 100), triggerRuns: triggerRuns.slice(0, 50), active: runs.some((r) => ACTIVE.has(r.status)) };
}

function runsTable(runs, factory) {
  if (runs.length === 0) return h("p", { class: "empty" }, "No pipeline runs yet. Start one: adfctl run -f SPEC PIPELINE.");
  return h("table", { class: "list", id: "runs" },
    h("thead", {}, h("tr", {}, ["Pipeline", "Run", "Status", "Started", "Duration", "Triggered by", "Parameters"].map((t) => h("th", {}, t)))),
    h("tbody", {}, runs.map((run) => h("tr", { class: "run", "data-run-id": run.runId, "data-status": run.status },
      h("td", {}, h("a", { href: `${factory.base}/pipelines/${enc(run.pipelineName)}` }, run.pipelineName)),
      h("td", { class: "mono" }, h("a", { href: `${factory.base}/runs/${enc(run.runId)}` }, run.runId)),
      h("td", {}, status(run.status)),
      h("td", {}, when(run.runStart)),
      h("td", {}, duration(runDuration(run, "runStart", "runEnd", "durationInMs"))),
      h("td", {}, invokedBy(run, factory)),
      h("td", { class: "params" }, parameters(run.parameters)),
    ))));
}

function drawFactory(data, factory) {
  const pipelines = data.pipelines.map((pipeline) => {
    const activities = (pipeline.properties && pipeline.properties.activities) || [];
    const last = data.runs.find((run) => run.pipelineName.toLowerCase() === pipeline.name.toLowerCase());
    return h("tr", {},
      h("td", {}, h("a", { href: `${factory.base}/pipelines/${enc(pipeline.name)}` }, pipeline.name)),
      h("td", {}, `${activities.length} ${activities.length === 1 ? "activity" : "activities"}`),
      h("td", {}, last ? [status(last.status), " ", h("a", { href: `${factory.base}/runs/${enc(last.runId)}` }, when(last.runStart))] : h("span", { class: "empty" }, "never run")),
      h("td", {}, (pipeline.properties && pipeline.properties.description) || ""));
  });
  const triggerRuns = data.triggerRuns.map((run) => h("tr", { class: "trigger-run" },
    h("td", {}, run.triggerName),
    h("td", {}, run.triggerType || ""),
    h("td", {}, when(run.triggerRunTimestamp)),
    h("td", {}, status(run.status)),
    h("td", {}, Object.entries(run.triggeredPipelines || {}).map(([name, id], i) => [i ? ", " : "", h("a", { href: `${factory.base}/runs/${enc(id)}` }, name)])),
    h("td", {}, run.message || "")));
  return [
    h("h1", {}, factory.name),
    h("p", { class: "sub" }, `Resource group ${factory.group} · subscription ${factory.subscription}`),
    h("h2", {}, "Pipeline runs"),
    runsTable(data.runs, factory),
    h("h2", {}, "Pipelines"),
    pipelines.length
      ? h("table", { class: "list", id: "pipelines" }, h("thead", {}, h("tr", {}, ["Pipeline", "Activities", "Last run", "Description"].map((t) => h("th", {}, t)))), h("tbody", {}, pipelines))
      : h("p", { class: "empty" }, "No pipelines."),
    h("h2", {}, "Trigger runs"),
    triggerRuns.length
      ? h("table", { class: "list", id: "trigger-runs" }, h("thead", {}, h("tr", {}, ["Trigger", "Type", "Time", "Status", "Pipelines", "Message"].map((t) => h("th", {}, t)))), h("tbody", {}, triggerRuns))
      : h("p", { class: "empty" }, "No trigger runs."),
  ];
}

// ---------- the pipeline graph ----------

// The bodies nested in a control activity, each with a label (null for a single body).
function bodies(activity) {
  const p = activity.typeProperties || {};
  switch (activity.type) {
    case "ForEach": return [{ label: p.isSequential ? "for each item, in order" : `for each item (${p.batchCount || 20} at a time)`, activities: p.activities || [] }];
    case "Until": return [{ label: "until the condition holds", activities: p.activities || [] }];
    case "IfCondition": return [{ label: "if true", activities: p.ifTrueActivities || [] }, { label: "if false", activities: p.ifFalseActivities || [] }];
    case "Switch": return (p.cases || []).map((c) => ({ label: `case "${c.value}"`, activities: c.activities || [] })).concat([{ label: "default", activities: p.defaultActivities || [] }]);
    default: return null;
  }
}

const NODE = { w: 180, h: 44 };
const GAP = { x: 70, y: 16 };
const PAD = 10, HEAD = 38, BRANCH = 18;

function clip(text, chars) { return text.length > chars ? `${text.slice(0, chars - 1)}…` : text; }

// Lays out one block of activities in layers: an activity sits one layer after the latest of
// the activities it depends on. Returns its size and a function that draws it at (x, y).
function layoutBlock(activities) {
  const byName = new Map(activities.map((a) => [a.name.toLowerCase(), a]));
  const layer = new Map();
  const visiting = new Set();
  const depth = (a) => {
    const key = a.name.toLowerCase();
    if (layer.has(key)) return layer.get(key);
    if (visiting.has(key)) return 0; // a cycle: validation reports it; draw anyway
    visiting.add(key);
    let d = 0;
    for (const dep of a.dependsOn || []) {
      const other = byName.get(String(dep.activity || "").toLowerCase());
      if (other) d = Math.max(d, depth(other) + 1);
    }
    visiting.delete(key);
    layer.set(key, d);
    return d;
  };
  const nodes = activities.map((a) => ({ activity: a, layer: depth(a), size: layoutActivity(a) }));
  const columns = [];
  for (const node of nodes) (columns[node.layer] = columns[node.layer] || []).push(node);
  let x = 0, height = 0;
  for (const column of columns.filter(Boolean)) {
    const width = Math.max(...column.map((n) => n.size.w));
    let y = 0;
    for (const node of column) { node.x = x; node.y = y; y += node.size.h + GAP.y; }
    height = Math.max(height, y - GAP.y);
    x += width + GAP.x;
  }
  const width = Math.max(x - GAP.x, 0);
  if (activities.length === 0) return { w: NODE.w, h: 24, draw: (g, ox, oy) => g.append(s("text", { x: ox + 4, y: oy + 16, class: "branch" }, "(no activities)")) };
  return {
    w: width, h: height,
    draw(g, ox, oy) {
      const at = new Map(nodes.map((n) => [n.activity.name.toLowerCase(), n]));
      for (const node of nodes) {
        for (const dep of node.activity.dependsOn || []) {
          const from = at.get(String(dep.activity || "").toLowerCase());
          if (!from) continue;
          const conditions = dep.dependencyConditions || ["Succeeded"];
          const x1 = ox + from.x + from.size.w, y1 = oy + from.y + NODE.h / 2;
          const x2 = ox + node.x, y2 = oy + node.y + NODE.h / 2;
          const mid = (x1 + x2) / 2;
          g.append(s("path", { class: `edge ${conditions[0]}`, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`, "marker-end": "url(#arrow)" },
            s("title", {}, `${dep.activity} → ${node.activity.name}: ${conditions.join(", ")}`)));
          const label = conditions.join(", ");
          const lx = mid - label.length * 2.6, ly = (y1 + y2) / 2 - 3;
          g.append(s("rect", { class: "label-bg", x: lx - 2, y: ly - 9, width: label.length * 5.2 + 4, height: 12 }));
          g.append(s("text", { class: "condition", x: lx, y: ly }, label));
        }
      }
      for (const node of nodes) node.size.draw(g, ox + node.x, oy + node.y);
    },
  };
}

function layoutActivity(activity) {
  const nested = bodies(activity);
  const title = [s("title", {}, `${activity.name} (${activity.type})${activity.description ? `: ${activity.description}` : ""}`)];
  if (!nested) {
    return {
      w: NODE.w, h: NODE.h,
      draw(g, x, y) {
        g.append(s("g", { class: "node", "data-activity": activity.name }, title,
          s("rect", { class: "activity", x, y, width: NODE.w, height: NODE.h, rx: 4 }),
          s("text", { x: x + 8, y: y + 18 }, clip(activity.name, 26)),
          s("text", { class: "kind", x: x + 8, y: y + 34 }, activity.type)));
      },
    };
  }
  const blocks = nested.map((b) => ({ label: b.label, layout: layoutBlock(b.activities) }));
  const inner = Math.max(...blocks.map((b) => b.layout.w));
  const w = Math.max(NODE.w, inner + 2 * PAD);
  const h = HEAD + blocks.reduce((sum, b) => sum + BRANCH + b.layout.h + PAD, 0);
  return {
    w, h,
    draw(g, x, y) {
      const group = s("g", { class: "node container", "data-activity": activity.name }, title,
        s("rect", { class: "container", x, y, width: w, height: h, rx: 6 }),
        s("text", { x: x + 8, y: y + 18 }, clip(activity.name, Math.floor(w / 7))),
        s("text", { class: "kind", x: x + 8, y: y + 32 }, activity.type));
      g.append(group);
      let top = y + HEAD;
      for (const block of blocks) {
        group.append(s("text", { class: "branch", x: x + PAD, y: top + 12 }, block.label));
        block.layout.draw(group, x + PAD, top + BRANCH);
        top += BRANCH + block.layout.h + PAD;
      }
    },
  };
}

function graph(activities) {
  const layout = layoutBlock(activities);
  const margin = 12;
  const svg = s("svg", { width: layout.w + 2 * margin, height: layout.h + 2 * margin, role: "img", "aria-label": "Activity graph" },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto" }, s("path", { d: "M0,0 L8,4 L0,8 z", fill: "#57606a" }))));
  layout.draw(svg, margin, margin);
  return h("div", { class: "graph", id: "graph" }, svg);
}

async function loadPipeline(factory, name) {
  const pipeline = await armFetch("GET", withVersion(`${factory.arm}/pipelines/${enc(name)}`));
  const runs = await armQuery(`${factory.arm}/queryPipelineRuns`, {
    filters: [{ operand: "PipelineName", operator: "Equals", values: [pipeline.name] }],
    orderBy: [{ orderBy: "RunStart", order: "DESC" }],
  }, 20);
  return { pipeline, runs: runs.slice(0, 20), active: runs.some((r) => ACTIVE.has(r.status)) };
}

function drawPipeline(data, factory) {
  const properties = data.pipeline.properties || {};
  const declared = Object.entries(properties.parameters || {});
  return [
    h("h1", {}, `Pipeline ${data.pipeline.name}`),
    properties.description ? h("p", { class: "sub" }, properties.description) : null,
    declared.length ? h("p", {}, "Parameters: ", declared.map(([k, v], i) => [i ? ", " : "", h("code", {}, k), `: ${v.type || "?"}`, v.defaultValue !== undefined ? ` = ${JSON.stringify(v.defaultValue)}` : ""])) : null,
    h("p", { class: "legend" }, "Arrows run from an activity to those that depend on it, labelled with the condition: Succeeded (solid), Failed (dashed), Completed (dotted), Skipped (dash-dot). Control activities hold their bodies."),
    graph(properties.activities || []),
    h("h2", {}, "Recent runs"),
    runsTable(data.runs, factory),
  ];
}

// ---------- one run ----------

async function loadRun(factory, runId) {
  const run = await armFetch("GET", withVersion(`${factory.arm}/pipelineruns/${enc(runId)}`));
  const [activities, pipeline] = await Promise.all([
    armQuery(`${factory.arm}/pipelineruns/${enc(runId)}/queryActivityruns`, { orderBy: [{ orderBy: "ActivityRunStart", order: "ASC" }] }, 2000),
    armFetch("GET", withVersion(`${factory.arm}/pipelines/${enc(run.pipelineName)}`)).catch(() => null),
  ]);
  const active = ACTIVE.has(run.status) || activities.some((a) => ACTIVE.has(a.status));
  return { run, activities, pipeline, active };
}

// Activity name → how deeply it is nested in the pipeline's control activities.
function nesting(pipeline) {
  const depth = new Map();
  const walk = (activities, d) => {
    for (const a of activities || []) {
      depth.set(a.name.toLowerCase(), d);
      for (const body of bodies(a) || []) walk(body.activities, d + 1);
    }
  };
  walk(pipeline && pipeline.properties && pipeline.properties.activities, 0);
  return depth;
}

function hasError(error) {
  return error && typeof error === "object" && (error.message || error.errorCode);
}

function drawRun(data, factory) {
  const run = data.run;
  const depth = nesting(data.pipeline);
  const starts = data.activities.map((a) => parseTime(a.activityRunStart)).filter((t) => t !== null);
  const t0 = Math.min(parseTime(run.runStart) ?? Infinity, ...starts);
  const ends = data.activities.map((a) => (ACTIVE.has(a.status) ? Date.now() : parseTime(a.activityRunEnd) ?? parseTime(a.activityRunStart)));
  const runEnd = ACTIVE.has(run.status) ? Date.now() : parseTime(run.runEnd);
  const t1 = Math.max(runEnd ?? -Infinity, ...ends.filter((t) => t !== null), t0 + 1);
  const span = Number.isFinite(t1 - t0) ? t1 - t0 : 1;
  const rows = data.activities.map((a) => {
    const start = parseTime(a.activityRunStart) ?? t0;
    const end = ACTIVE.has(a.status) ? Date.now() : parseTime(a.activityRunEnd) ?? start;
    const left = ((start - t0) / span) * 100;
    const width = Math.max(((end - start) / span) * 100, 0.4);
    const indent = depth.get(String(a.activityName).toLowerCase()) || 0;
    const failed = hasError(a.error) && a.status !== "Succeeded";
    const child = a.activityType === "ExecutePipeline" && a.output && a.output.pipelineRunId;
    const summary = h("summary", { class: "row" },
      h("span", { class: "name", style: null, title: `${a.activityName} (${a.activityType})` }, "\u2003".repeat(indent), indent ? "↳ " : "", a.activityName, h("span", { class: "type" }, a.activityType)),
      h("span", {}, status(a.status)),
      h("span", {}, duration(runDuration(a, "activityRunStart", "activityRunEnd", "durationInMs"))),
      h("span", { class: "track" }, bar(a.status, left, width)),
      failed ? h("span", { class: "inline-error" }, `Error ${a.error.errorCode}: ${a.error.message}`) : null);
    const detail = h("div", { class: "detail" },
      h("div", { class: "input" }, h("h3", {}, "Input"), h("pre", {}, json(a.input))),
      h("div", { class: "output" }, h("h3", {}, "Output"), h("pre", {}, json(a.output))),
      failed ? h("div", { class: "error" }, h("h3", {}, "Error"), h("pre", {}, json(a.error))) : null,
      child ? h("div", {}, h("h3", {}, "Child run"), h("a", { href: `${factory.base}/runs/${enc(a.output.pipelineRunId)}` }, `${a.output.pipelineName || "pipeline"} run ${a.output.pipelineRunId}`)) : null);
    return h("details", { class: "activity-run", "data-key": a.activityRunId, "data-activity": a.activityName, "data-status": a.status }, summary, detail);
  });
  const head = h("div", { class: "row head" }, h("span", {}, "Activity"), h("span", {}, "Status"), h("span", {}, "Duration"),
    h("span", { class: "scale" }, h("span", {}, "0 s"), h("span", {}, duration(Math.round(span / 2))), h("span", {}, duration(Math.round(span)))));
  return [
    h("h1", {}, `Run of ${run.pipelineName}`),
    h("dl", { class: "facts", id: "run" },
      h("dt", {}, "Status"), h("dd", {}, status(run.status)),
      h("dt", {}, "Pipeline"), h("dd", {}, h("a", { href: `${factory.base}/pipelines/${enc(run.pipelineName)}` }, run.pipelineName)),
      h("dt", {}, "Run ID"), h("dd", { class: "mono" }, run.runId),
      h("dt", {}, "Started"), h("dd", {}, when(run.runStart)),
      h("dt", {}, "Ended"), h("dd", {}, when(run.runEnd)),
      h("dt", {}, "Duration"), h("dd", {}, duration(runDuration(run, "runStart", "runEnd", "durationInMs"))),
      h("dt", {}, "Triggered by"), h("dd", {}, invokedBy(run, factory)),
      h("dt", {}, "Parameters"), h("dd", {}, parameters(run.parameters)),
      run.message ? [h("dt", {}, "Message"), h("dd", { class: "run-message" }, run.message)] : null),
    h("h2", {}, `Activity runs (${data.activities.length})`),
    data.activities.length
      ? h("div", { class: "gantt", id: "activity-runs" }, head, rows)
      : h("p", { class: "empty" }, ACTIVE.has(run.status) ? "No activity has started yet." : "This run has no activity runs."),
  ];
}

function bar(statusText, left, width) {
  const b = h("span", { class: `bar ${statusText}`, title: statusText });
  b.style.left = `${left.toFixed(2)}%`;
  b.style.width = `${Math.min(width, 100 - left).toFixed(2)}%`;
  return b;
}

// ---------- the loop: load, draw if changed, poll ----------

const VIEWS = {
  home: { load: () => loadHome(), draw: (d) => drawHome(d), every: 5000 },
  factory: { load: (w) => loadFactory(w.factory), draw: (d, w) => drawFactory(d, w.factory), every: 3000 },
  pipeline: { load: (w) => loadPipeline(w.factory, w.pipeline), draw: (d, w) => drawPipeline(d, w.factory), every: 5000 },
  run: { load: (w) => loadRun(w.factory, w.runId), draw: (d, w) => drawRun(d, w.factory), every: 0 },
};

let last = null;
let first = true;

async function tick(where) {
  const view = VIEWS[where.view];
  const indicator = document.getElementById("refresh");
  let data;
  try {
    data = await view.load(where);
  } catch (error) {
    document.getElementById("app").replaceChildren(h("div", { class: "error-box", id: "load-error" }, h("strong", {}, "Cannot read the emulator's API. "), String(error.message || error)));
    document.body.dataset.state = "error";
    setTimeout(() => tick(where), 5000);
    return;
  }
  const text = JSON.stringify(data);
  if (text !== last || (data && data.active)) {
    last = text;
    const app = document.getElementById("app");
    const open = new Set([...app.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key));
    app.replaceChildren(...[view.draw(data, where)].flat(Infinity).filter(Boolean));
    for (const d of app.querySelectorAll("details[data-key]")) if (open.has(d.dataset.key)) d.open = true;
    // `…/runs/R#NAME` opens the rows of activity NAME (its input, output and error) once.
    if (first && location.hash.length > 1) {
      const name = decodeURIComponent(location.hash.slice(1));
      for (const d of app.querySelectorAll("details[data-activity]")) if (d.dataset.activity === name) d.open = true;
    }
    first = false;
  }
  document.body.dataset.state = "ready";
  const active = Boolean(data && data.active);
  // A run page polls only while its run is in progress; lists keep polling for new runs.
  const every = active ? 1500 : view.every;
  indicator.textContent = every ? `${active ? "runs in progress · " : ""}refreshed ${new Date().toLocaleTimeString()}` : "run finished · not refreshing";
  if (every) setTimeout(() => tick(where), every);
}

function main() {
  const where = route();
  crumbs(where);
  document.title = where.view === "home" ? "adfctl monitor" : `${where.factory.name} · adfctl monitor`;
  tick(where);
}

document.addEventListener("DOMContentLoaded", main);
