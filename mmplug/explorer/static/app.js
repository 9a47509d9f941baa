// mmplug explorer: plain JavaScript, no build step, no network beyond this server.
// Everything goes through the JSON API (/api/openapi.json); live updates over /api/stream.
"use strict";

const TOKEN = document.querySelector('meta[name="mmplug-token"]').content;
const $ = (id) => document.getElementById(id);
const PAGE = 50;  // trace rows drawn at a time (a screenful and more); "Older calls" draws more
const S = { world: null, users: {}, me: "", channel: "", thread: "", status: null,
            trace: { rows: [], selected: new Set(), open: 0, oldest: 0 }, stateTab: "kv",
            commandsShown: [], commandIndex: -1, stateLoads: 0 };

// -- helpers ----------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "style") for (const [name, value] of Object.entries(v)) el.style.setProperty(name, value);  // CSSOM: the CSP allows it
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

async function api(method, path, body) {
  const init = { method, headers: { "X-Mmplug-Token": TOKEN } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = response.headers.get("Content-Type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error((data && data.error) || response.statusText);
    error.hint = data && data.hint;
    error.status = response.status;
    throw error;
  }
  return data;
}

function notice(text, bad) {
  const el = $("notice");
  el.textContent = text;
  el.className = "notice" + (bad ? " bad" : "");
  el.hidden = !text;
  clearTimeout(notice.timer);
  if (text && !bad) notice.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

function failed(error) {
  notice(error.message + (error.hint ? " — " + error.hint : ""), true);
}

function clock(ms) {  // HH:MM:SS.mmm, local time (toLocaleTimeString is slow in long lists)
  const d = new Date(Number(ms));
  const two = (n) => (n < 10 ? "0" : "") + n;
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function json(value) { return JSON.stringify(value, null, 2); }

function userName(id) { return (S.users[id] && S.users[id].username) || (id ? id.slice(0, 8) : "?"); }

// -- tabs -------------------------------------------------------------------------------------
function showView(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === "tab-" + name;
    tab.setAttribute("aria-selected", on);
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  if (name === "trace") loadTrace();
  if (name === "state") loadState();
  if (name === "http") loadHttp();
  history.replaceState(null, "", "#" + name);
}

// -- status -----------------------------------------------------------------------------------
async function loadStatus() {
  const status = await api("GET", "/api/status");
  S.status = status;
  const box = $("status");
  box.replaceChildren(...status.plugins.map((p) => h("span", {
    class: "chip " + (p.state === "active" ? "active" : (["failed", "crashed", "given-up"].includes(p.state) ? "bad" : "")),
    title: p.problem || "" }, `${p.id}: ${p.state}`)));
  if (!status.live) box.append(h("span", { class: "chip" }, "offline: no mmplug dev runs"));
}

// -- chat -------------------------------------------------------------------------------------
async function loadWorld() {
  const world = await api("GET", "/api/world");
  S.world = world;
  S.users = Object.fromEntries(world.users.map((u) => [u.id, u]));
  const select = $("chat-user");
  const people = world.users.filter((u) => !u.is_bot && !u.deleted);
  if (!S.me) S.me = (people.find((u) => u.username === "alice") || people[0] || {}).id || "";
  select.replaceChildren(...world.users.filter((u) => !u.deleted).map((u) =>
    h("option", { value: u.id, selected: u.id === S.me }, u.username + (u.is_bot ? " (bot)" : ""))));
  renderChannels();
  for (const id of ["http-user", "f-user"]) fillUsers($(id));
}

function fillUsers(select) {
  const keep = select.value;
  const first = select.id === "f-user" ? [h("option", { value: "" }, "any")] : [h("option", { value: "anonymous" }, "anonymous")];
  select.replaceChildren(...first, ...S.world.users.map((u) => h("option", { value: u.username }, u.username)));
  if (keep) select.value = keep;
}

function channelsOf(userId) {
  return S.world.channels.filter((c) => !c.archived && c.members.includes(userId));
}

function renderChannels() {
  const mine = channelsOf(S.me);
  if (!mine.some((c) => c.id === S.channel)) {
    const town = mine.find((c) => c.name === "town-square") || mine[0];
    S.channel = town ? town.id : "";
  }
  const list = $("channel-list");
  const groups = {};
  for (const c of mine) {
    const team = S.world.teams.find((t) => t.id === c.team_id);
    const key = team ? team.display_name || team.name : "Direct messages";
    (groups[key] = groups[key] || []).push(c);
  }
  list.replaceChildren(...Object.entries(groups).map(([team, channels]) => h("div", {},
    h("h3", {}, team),
    channels.map((c) => h("button", { type: "button", "aria-current": c.id === S.channel ? "true" : "false",
      onclick: () => { S.channel = c.id; S.thread = ""; renderChannels(); loadPosts(); } }, channelLabel(c))))));
  const current = S.world.channels.find((c) => c.id === S.channel);
  $("channel-title").textContent = current ? channelLabel(current) : "No channel";
}

function channelKind(c) {  // the store keeps O/P/D/G or the enum's name
  const t = String(c.type || "");
  if (t === "D" || t.includes("DIRECT")) return "D";
  if (t === "G" || t.includes("GROUP")) return "G";
  return t === "P" || t.includes("PRIVATE") ? "P" : "O";
}

function channelLabel(c) {
  const kind = channelKind(c);
  if (kind === "D" || kind === "G") return "@ " + (c.members.filter((m) => m !== S.me).map(userName).join(", ") || userName(S.me) + " (you)");
  return (kind === "P" ? "🔒 " : "# ") + (c.display_name || c.name);
}

async function loadPosts() {
  if (!S.channel) { $("posts").replaceChildren(); return; }
  const data = await api("GET", `/api/channels/${S.channel}/posts?as=${encodeURIComponent(S.me)}`);
  const all = data.posts.concat(data.ephemeral).sort((a, b) => (a.create_at || 0) - (b.create_at || 0));
  S.posts = Object.fromEntries(data.posts.map((p) => [p.id, p]));
  const list = $("posts");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...all.map((p) => renderPost(p, true)));
  if (atBottom || loadPosts.first !== S.channel) list.scrollTop = list.scrollHeight;
  loadPosts.first = S.channel;
  if (S.thread) renderThread(all);
}

function renderPost(p, inChannel) {
  const user = S.users[p.user_id] || {};
  const props = p.props || {};
  const reply = inChannel && p.root_id;
  const li = h("li", { class: "post" + (reply ? " reply" : "") + (p.ephemeral ? " ephemeral" : ""), "data-post": p.id || "" },
    h("span", { class: "who" }, props.override_username || user.username || userName(p.user_id)),
    user.is_bot || props.from_bot === "true" ? h("span", { class: "bot" }, "BOT") : null,
    h("span", { class: "when" }, p.create_at ? clock(p.create_at) : ""),
    p.edit_at ? h("span", { class: "when" }, "(edited)") : null,
    p.ephemeral ? h("span", { class: "only" }, " (only visible to you)") : null,
    p.ephemeral ? null : postTools(p),
    h("div", { class: "text" }, p.message || ""),
    (props.attachments || []).map(renderAttachment),
    p.reactions && p.reactions.length ? h("div", { class: "reactions" },
      Object.entries(groupReactions(p.reactions)).map(([emoji, who]) => h("span", { title: who.join(", ") }, `:${emoji}: ${who.length}`))) : null);
  return li;
}

function groupReactions(reactions) {
  const out = {};
  for (const r of reactions) (out[r.emoji] = out[r.emoji] || []).push(userName(r.user_id));
  return out;
}

function renderAttachment(a) {
  return h("div", { class: "attachment", style: a.color ? { "border-left-color": String(a.color) } : null },
    a.pretext ? h("div", {}, a.pretext) : null,
    a.title ? h("div", { class: "title" }, a.title) : null,
    a.text ? h("div", { class: "text" }, a.text) : null,
    (a.fields || []).map((f) => h("div", {}, h("b", {}, f.title + ": "), String(f.value ?? ""))),
    (a.actions || []).map((x) => h("button", { type: "button", disabled: true, title: "interactive buttons are not delivered by the fake host" }, x.name || x.id)));
}

function postTools(p) {
  const mine = p.user_id === S.me;
  return h("span", { class: "tools" },
    h("button", { type: "button", onclick: () => openThread(p.root_id || p.id), "aria-label": "Reply in thread" }, "Reply"),
    h("button", { type: "button", onclick: () => react(p), "aria-label": "Add a reaction" }, "React"),
    mine ? h("button", { type: "button", onclick: () => editPost(p) }, "Edit") : null,
    mine ? h("button", { type: "button", onclick: () => deletePost(p) }, "Delete") : null);
}

async function act(path, body) {
  try {
    const answer = await api("POST", path, body);
    await loadPosts();
    return answer;
  } catch (error) { failed(error); return null; }
}

async function react(p) {
  const emoji = prompt("Emoji name (e.g. thumbsup); prefix with - to remove yours", "thumbsup");
  if (!emoji) return;
  const remove = emoji.startsWith("-");
  await act("/api/chat/react", { user: S.me, post_id: p.id, emoji: emoji.replace(/^-/, ""), remove });
}

async function editPost(p) {
  const message = prompt("Edit the message", p.message);
  if (message === null || message === p.message) return;
  await act("/api/chat/edit", { user: S.me, post_id: p.id, message });
}

async function deletePost(p) {
  if (!confirm("Delete this post (and its replies)?")) return;
  await act("/api/chat/delete", { user: S.me, post_id: p.id });
}

function openThread(rootId) {
  S.thread = rootId;
  $("thread").hidden = false;
  loadPosts().then(() => $("thread-message").focus());
}

function renderThread(all) {
  const posts = all.filter((p) => p.id === S.thread || p.root_id === S.thread);
  $("thread-posts").replaceChildren(...posts.map((p) => renderPost(p, false)));
}

async function send(text, rootId) {
  if (!text.trim()) return false;
  const answer = await act("/api/chat/post", { user: S.me, channel_id: S.channel, message: text, root_id: rootId || "" });
  if (answer) checkDialogs();
  return answer !== null;
}

// slash command autocomplete from the commands the plugins registered
function commandsFor(prefix) {
  const channel = S.world.channels.find((c) => c.id === S.channel) || {};
  return S.world.commands.filter((c) => (!c.team_id || c.team_id === channel.team_id) && ("/" + c.trigger).startsWith(prefix));
}

function showCommands() {
  const box = $("message");
  const text = box.value;
  const list = $("command-list");
  if (!text.startsWith("/") || text.includes(" ")) { list.hidden = true; S.commandsShown = []; return; }
  S.commandsShown = commandsFor(text);
  S.commandIndex = S.commandsShown.length ? 0 : -1;
  list.replaceChildren(...S.commandsShown.map((c, i) => h("li", { role: "option", id: "cmd-" + i, "aria-selected": i === S.commandIndex ? "true" : "false",
    onmousedown: (e) => { e.preventDefault(); pickCommand(i); } },
    h("b", {}, "/" + c.trigger), " ", c.hint || "", c.description ? h("span", { class: "muted" }, " — " + c.description) : null)));
  list.hidden = !S.commandsShown.length;
}

function pickCommand(i) {
  const c = S.commandsShown[i];
  if (!c) return;
  $("message").value = "/" + c.trigger + " ";
  $("command-list").hidden = true;
  S.commandsShown = [];
  $("message").focus();
}

function moveCommand(step) {
  if (!S.commandsShown.length) return false;
  S.commandIndex = (S.commandIndex + step + S.commandsShown.length) % S.commandsShown.length;
  for (const [i, li] of [...$("command-list").children].entries()) li.setAttribute("aria-selected", i === S.commandIndex ? "true" : "false");
  return true;
}

async function loadSideEvents() {
  try {
    const data = await api("GET", "/api/events?kind=websocket_event,mail,push_notification&limit=40");
    const published = (name) => name.startsWith("custom_") || name === "typing";
    const custom = data.events.filter((e) => e.kind !== "websocket_event" || published(e.payload.event || ""));
    $("side-events").replaceChildren(...custom.slice(0, 25).map((e) => h("li", {},
      h("b", {}, e.kind === "websocket_event" ? e.payload.event : e.kind), h("pre", {}, json(e.payload.data || e.payload)))));
  } catch (error) { /* shown elsewhere */ }
}

// interactive dialogs the plugin opened for the acting user
async function checkDialogs() {
  const data = await api("GET", `/api/dialogs?user=${encodeURIComponent(S.me)}`);
  const first = data.dialogs[0];
  if (!first || $("dialog").open) return;
  showDialog(first);
}

function showDialog(item) {
  const d = item.dialog.dialog || {};
  $("dialog-title").textContent = d.title || "Dialog";
  $("dialog-intro").textContent = d.introduction_text || "";
  $("dialog-error").textContent = "";
  $("dialog-submit").textContent = d.submit_label || "Submit";
  $("dialog-fields").replaceChildren(...(d.elements || []).map((e) => {
    const id = "dlg-" + e.name;
    let input;
    if (e.type === "textarea") input = h("textarea", { id, name: e.name, placeholder: e.placeholder || "" }, e.default || "");
    else if (e.type === "select" || e.type === "radio") input = h("select", { id, name: e.name },
      (e.optional ? [h("option", { value: "" }, "")] : []).concat((e.options || []).map((o) => h("option", { value: o.value, selected: o.value === e.default }, o.text))));
    else if (e.type === "bool") input = h("input", { id, name: e.name, type: "checkbox", checked: e.default === "true" });
    else input = h("input", { id, name: e.name, value: e.default || "", placeholder: e.placeholder || "", type: e.subtype === "number" ? "number" : "text" });
    return h("div", { class: "field" }, h("label", { for: id }, (e.display_name || e.name) + (e.optional ? " (optional)" : "")), input,
      e.help_text ? h("small", { class: "muted" }, e.help_text) : null, h("small", { class: "error", id: id + "-error" }));
  }));
  const dialog = $("dialog");
  dialog.dataset.id = item.id;
  dialog.dataset.notify = d.notify_on_cancel ? "1" : "";
  dialog.showModal();
}

async function submitDialog(cancelled) {
  const dialog = $("dialog");
  const submission = {};
  for (const el of $("dialog-fields").querySelectorAll("[name]")) submission[el.name] = el.type === "checkbox" ? el.checked : el.value;
  try {
    const data = await api("POST", "/api/dialogs/submit", { user: S.me, dialog: Number(dialog.dataset.id), channel_id: S.channel, submission, cancelled });
    const answer = data.answer || {};
    if (!cancelled && (answer.error || answer.errors)) {
      $("dialog-error").textContent = answer.error || "";
      for (const [name, text] of Object.entries(answer.errors || {})) { const el = $("dlg-" + name + "-error"); if (el) el.textContent = text; }
      return;
    }
    dialog.close();
    await loadPosts();
  } catch (error) { $("dialog-error").textContent = error.message; }
}

// -- trace ------------------------------------------------------------------------------------
function traceQuery(before) {
  const q = new URLSearchParams();
  const pairs = [["hook", "f-hook"], ["method", "f-method"], ["user", "f-user"], ["kind", "f-kind"], ["text", "f-text"]];
  for (const [key, id] of pairs) if ($(id).value) q.set(key, $(id).value);
  if ($("f-errors").checked) q.set("errors", "1");
  q.set("limit", String(PAGE));
  if (before) q.set("before", before);
  return q.toString();
}

async function loadTrace(more) {
  const mark = "trace-" + (loadTrace.n = (loadTrace.n || 0) + 1);
  performance.mark(mark + "-start");
  const data = await api("GET", "/api/calls?" + traceQuery(more ? S.trace.oldest : 0));
  const rows = $("trace-rows");
  const made = data.calls.map(traceRow).join("");
  if (more) rows.insertAdjacentHTML("beforeend", made); else rows.innerHTML = made;
  S.trace.oldest = data.calls.length ? data.calls[data.calls.length - 1].seq : S.trace.oldest;
  $("trace-more").hidden = data.calls.length < PAGE;
  $("trace-count").textContent = data.matched === null ? `${data.calls.length}+ of ${data.total}` : `${data.matched} of ${data.total}`;
  performance.mark(mark + "-end");
  performance.measure("trace-render", mark + "-start", mark + "-end");
  document.body.dataset.traceLoaded = String(loadTrace.n);
  if (!more) loadTraceNames();
}

async function loadTraceNames() {
  const names = await api("GET", "/api/calls/names");
  for (const [id, values] of [["f-hook", names.hooks], ["f-method", names.methods]]) {
    const select = $(id);
    const keep = select.value;
    select.replaceChildren(h("option", { value: "" }, "any"), ...values.map((v) => h("option", { value: v }, v)));
    select.value = keep;
  }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function esc(value) { return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]); }

// One row of the trace as HTML text (escaped): long lists draw much faster than element by element.
function traceRow(c) {
  const failed = Boolean(c.error) || c.outcome === "failed";
  const cls = [c.kind, c.nested ? "nested" : "", failed ? "failed" : "", S.trace.open === c.seq ? "selected" : ""].join(" ");
  const keep = c.kind === "hook" ? `<input type="checkbox" aria-label="keep call ${c.seq}"${S.trace.selected.has(c.seq) ? " checked" : ""}>` : "";
  const mark = c.kind === "lifecycle" || c.kind === "action" ? "◆ " : "";
  const outcome = failed ? "failed: " + (c.error || "").split("\n")[0] : c.outcome;
  return `<tr class="${cls}" data-seq="${c.seq}"><td>${keep}</td><td>${c.seq}</td><td>${clock(c.start * 1000)}</td>` +
    `<td class="what"><button type="button" class="open">${mark}${esc(c.name)}</button></td><td>${esc(c.plugin_id)}${c.node ? `<span class="muted">@${esc(c.node)}</span>` : ""}</td>` +
    `<td class="outcome" title="${esc(c.error || c.outcome)}">${esc(outcome)}</td><td>${c.duration_ms.toFixed(1)}</td>` +
    `<td title="${esc(c.methods.join(", "))}">${c.api_count || ""}</td></tr>`;
}

function traceClick(event) {
  const row = event.target.closest("tr[data-seq]");
  if (!row) return;
  const seq = Number(row.dataset.seq);
  if (event.target.matches("input[type=checkbox]")) {
    if (event.target.checked) S.trace.selected.add(seq); else S.trace.selected.delete(seq);
  } else if (event.target.closest("button.open")) openCall(seq);
}

async function openCall(seq) {
  S.trace.open = seq;
  for (const tr of $("trace-rows").children) tr.classList.toggle("selected", Number(tr.dataset.seq) === seq);
  try {
    const call = await api("GET", `/api/calls/${seq}`);
    $("trace-detail").replaceChildren(...callView(call, true));
  } catch (error) { failed(error); }
}

function callView(call, tools) {
  const out = [h("h2", {}, `#${call.seq} ${call.name}`, call.plugin_id ? h("span", { class: "muted" }, " → " + call.plugin_id + (call.node ? "@" + call.node : "")) : null)];
  out.push(h("p", { class: "outcome" }, call.outcome ? h("b", {}, call.outcome) : null, call.outcome ? " · " : "",
    `${call.kind} · ${call.duration_ms.toFixed(2)} ms · ${clock(call.start * 1000)}`,
    call.user_id ? ` · user ${userName(call.user_id)}` : "", call.nested ? " · caused by another call" : ""));
  if (call.error) out.push(h("pre", { class: "error" }, call.error));
  if (tools && call.kind === "hook") out.push(h("p", {}, h("button", { type: "button", onclick: () => editCall(call) }, "Edit and fire again"),
    " ", h("button", { type: "button", onclick: () => refire(call, null) }, "Fire again as recorded")));
  if (call.info && Object.keys(call.info).length) out.push(h("h3", {}, "Details"), h("pre", {}, json(call.info)));
  if (call.request) out.push(h("h3", {}, "Request ", call.request_type ? h("span", { class: "muted" }, call.request_type) : null),
    call.request_as_made ? h("p", { class: "muted" }, "As the plugin got it: the server's hook client leaves out the rest of what the host made.") : null,
    h("pre", {}, json(call.request)),
    call.request_as_made ? h("details", {}, h("summary", {}, "As the host made it (a re-fire sends this)"), h("pre", {}, json(call.request_as_made))) : null);
  if (call.kind === "hook") out.push(h("h3", {}, "Response"), h("pre", {}, json(call.response)));
  out.push(waterfall(call));
  if (call.api_calls.length) out.push(h("h3", {}, `API calls (${call.api_calls.length})`),
    ...call.api_calls.map((a, i) => h("details", {}, h("summary", {}, `${i + 1}. ${a.method} · ${(a.duration_s * 1000).toFixed(2)} ms`, a.error ? h("span", { class: "error" }, " · " + (a.error.message || a.error.id || "failed")) : ""),
      h("div", {}, h("b", {}, "request"), h("pre", {}, json(a.request)), h("b", {}, "response"), h("pre", {}, json(a.error || a.response))))));
  if (call.logs.length) out.push(h("h3", {}, `Logs (${call.logs.length})`), h("pre", {}, call.logs.map((l) => `${l.level.toUpperCase().padEnd(5)} ${l.message}${Object.keys(l.fields || {}).length ? " " + JSON.stringify(l.fields) : ""}`).join("\n")));
  if (call.children.length) out.push(h("h3", {}, "Calls it caused"), h("ul", {}, call.children.map((c) => h("li", {},
    h("button", { type: "button", class: "open", onclick: () => openCall(c.seq) }, `#${c.seq} ${c.name} → ${c.plugin_id}`), ` ${c.outcome} (${c.duration_ms.toFixed(1)} ms)`))));
  return out;
}

function waterfall(call) {
  const total = Math.max(call.duration_ms / 1000, 1e-6);
  const rows = [["the call", 0, call.duration_ms / 1000, "hook", call.error]];
  for (const a of call.api_calls) if (a.offset_s !== null) rows.push([a.method, a.offset_s, a.duration_s, "", a.error]);
  for (const c of call.children) rows.push([c.name + " (" + c.plugin_id + ")", c.offset_s, c.duration_ms / 1000, "hook", c.error]);
  return h("div", {}, h("h3", {}, "Timings"), h("div", { class: "waterfall", role: "img", "aria-label": "waterfall of the call's timings" },
    rows.map(([label, at, length, kind, bad]) => h("div", { class: "bar-row" }, h("span", { class: "label", title: label }, label),
      h("span", { class: "track" }, h("span", { class: "bar " + kind + (bad ? " bad" : ""),
        style: { left: Math.min(100, (at / total) * 100).toFixed(2) + "%", width: Math.max(0.5, Math.min(100, (length / total) * 100)).toFixed(2) + "%" },
        title: `${(length * 1000).toFixed(2)} ms at +${(at * 1000).toFixed(2)} ms` }))))));
}

async function editCall(call) {
  const schema = await api("GET", `/api/hooks/${call.name}/schema`);
  const area = h("textarea", { "aria-label": "The request, as JSON", spellcheck: "false" }, json(call.request_as_made || call.request));
  const tree = (fields) => h("ul", {}, fields.map((f) => h("li", {}, h("code", {}, f.name), ` ${f.repeated ? "list of " : ""}${f.type}`, f.fields ? tree(f.fields) : null)));
  $("trace-detail").replaceChildren(
    h("h2", {}, `Edit #${call.seq} ${call.name}`),
    h("p", { class: "muted" }, schema.doc),
    h("div", { class: "editor" }, area),
    h("p", {}, h("button", { type: "button", onclick: () => { let parsed; try { parsed = JSON.parse(area.value); } catch (e) { failed(new Error("not JSON: " + e.message)); return; } refire(call, parsed); } }, "Fire"),
      " ", h("button", { type: "button", onclick: () => openCall(call.seq) }, "Back")),
    h("details", { class: "schema", open: true }, h("summary", {}, `Fields of ${schema.request_type}`), tree(schema.fields)));
  area.focus();
}

async function refire(call, request) {
  try {
    const answer = await api("POST", `/api/calls/${call.seq}/fire`, request ? { request } : {});
    const fresh = answer.call ? await api("GET", `/api/calls/${answer.call}`) : null;
    $("trace-detail").replaceChildren(h("h2", {}, `#${call.seq} and its re-fire` + (fresh ? ` #${fresh.seq}` : "")),
      h("div", { class: "sides" }, h("div", { "aria-label": "original" }, ...callView(call, false)),
        h("div", { "aria-label": "re-fired" }, ...(fresh ? callView(fresh, false) : [h("p", {}, "no call recorded")]))));
    loadTrace();
  } catch (error) { failed(error); }
}

async function keepSelected() {
  const name = $("keep-name").value.trim();
  const calls = [...S.trace.selected];
  try {
    const answer = await api("POST", "/api/cassettes", { calls, name, test: $("keep-test").checked });
    notice(`saved ${answer.written.join(" and ")} (${answer.calls} calls); check it with: ${answer.replay}`);
  } catch (error) { failed(error); }
}

// -- state ------------------------------------------------------------------------------------
function plugins() { return (S.status && S.status.plugins.map((p) => p.id)) || []; }

async function loadState() {
  for (const b of document.querySelectorAll("[data-state]")) b.setAttribute("aria-pressed", b.dataset.state === S.stateTab);
  const body = $("state-body");
  // only the latest load is shown: an earlier one that answers late (a tab, then a plugin
  // picked at once) must not replace the view, nor what is being typed into it
  const load = ++S.stateLoads;
  delete body.dataset.shows;
  try {
    const view = { kv: kvView, settings: settingsView, snapshots: snapshotView, clock: clockView }[S.stateTab];
    const items = view ? await view() : await tableView(S.stateTab);
    if (load !== S.stateLoads) return;
    body.replaceChildren(...items.flat().filter((item) => item !== null && item !== undefined));
    body.dataset.shows = S.stateTab + ":" + (S.statePlugin || "");  // what the view holds now
  } catch (error) { if (load === S.stateLoads) failed(error); }
}

function pluginPicker(onchange) {
  S.statePlugin = S.statePlugin || plugins()[0] || "";
  return h("label", {}, "Plugin ", h("select", { onchange: (e) => { S.statePlugin = e.target.value; onchange(); } },
    plugins().map((p) => h("option", { value: p, selected: p === S.statePlugin }, p))));
}

async function kvView() {
  const plugin = S.statePlugin || plugins()[0];
  S.statePlugin = plugin;
  const data = await api("GET", `/api/kv/${encodeURIComponent(plugin)}`);
  const encodings = (sel) => ["text", "json", "base64"].map((e) => h("option", { value: e, selected: e === sel }, e));
  const row = (entry) => {
    const value = h("textarea", { "aria-label": `value of ${entry.key}` }, entry.value);
    const encoding = h("select", { "aria-label": `encoding of ${entry.key}` }, encodings(entry.encoding));
    return h("tr", { "data-key": entry.key }, h("td", {}, entry.key), h("td", {}, value), h("td", {}, encoding),
      h("td", {}, entry.size + " B", entry.expire_at ? h("div", { class: "muted" }, "expires " + new Date(entry.expire_at).toLocaleString()) : null),
      h("td", { class: "row-tools" },
        h("button", { type: "button", onclick: () => kvSave(plugin, entry.key, value.value, encoding.value) }, "Save"),
        h("button", { type: "button", onclick: () => kvDelete(plugin, entry.key) }, "Delete")));
  };
  const newKey = h("input", { "aria-label": "new key", placeholder: "key" });
  const newValue = h("textarea", { "aria-label": "new value", placeholder: "value" });
  const newEncoding = h("select", { "aria-label": "new value's encoding" }, encodings("text"));
  return [pluginPicker(loadState),
    h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Key", "Value", "As", "Size", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, data.entries.map(row),
        h("tr", {}, h("td", {}, newKey), h("td", {}, newValue), h("td", {}, newEncoding), h("td", {}),
          h("td", {}, h("button", { type: "button", onclick: () => kvSave(plugin, newKey.value, newValue.value, newEncoding.value) }, "Add")))))];
}

async function kvSave(plugin, key, value, encoding) {
  if (!key) { failed(new Error("the key is empty")); return; }
  try {
    await api("PUT", `/api/kv/${encodeURIComponent(plugin)}/${encodeURIComponent(key)}`, { value, encoding });
    notice(`saved ${key}`);
    loadState();
  } catch (error) { failed(error); }
}

async function kvDelete(plugin, key) {
  try {
    await api("DELETE", `/api/kv/${encodeURIComponent(plugin)}/${encodeURIComponent(key)}`);
    notice(`deleted ${key}`);
    loadState();
  } catch (error) { failed(error); }
}

async function tableView(name) {
  const data = await api("GET", `/api/tables/${name}`);
  const rows = data[name];
  const columns = { users: ["username", "id", "email", "roles", "is_bot", "delete_at"],
    channels: ["name", "display_name", "type", "team_id", "id", "delete_at"],
    posts: ["create_at", "user_id", "channel_id", "message", "root_id", "id", "delete_at"],
    files: ["name", "size", "mime_type", "post_id", "id"] }[name];
  return [h("table", { class: "grid" }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)), name === "files" ? h("th", {}) : null)),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {},
      c === "user_id" ? userName(r[c]) : (c.endsWith("_at") && r[c] ? new Date(Number(r[c])).toLocaleString() : String(r[c] ?? "")))),
      name === "files" ? h("td", {}, h("button", { type: "button", onclick: () => download(r) }, "Download")) : null))))];
}

async function download(file) {
  const response = await fetch(`/api/files/${file.id}`, { headers: { "X-Mmplug-Token": TOKEN } });
  const url = URL.createObjectURL(await response.blob());
  h("a", { href: url, download: file.name || file.id }).click();
  URL.revokeObjectURL(url);
}

async function settingsView() {
  const plugin = S.statePlugin || plugins()[0];
  S.statePlugin = plugin;
  const data = await api("GET", `/api/settings/${encodeURIComponent(plugin)}`);
  const inputs = {};
  const fields = data.settings.map((s) => {
    const id = "set-" + s.key;
    const current = s.key in data.saved ? data.saved[s.key] : data.defaults[s.key];
    let input;
    if (s.type === "bool") input = h("input", { id, type: "checkbox", checked: current === true || current === "true" });
    else if (s.type === "dropdown" || s.type === "radio") input = h("select", { id }, (s.options || []).map((o) => h("option", { value: o.value, selected: o.value === current }, o.display_name || o.value)));
    else if (s.type === "longtext") input = h("textarea", { id }, current ?? "");
    else input = h("input", { id, value: current ?? "", type: s.type === "number" ? "number" : "text" });
    inputs[s.key] = [input, s.type];
    return h("div", { class: "setting" }, h("label", { for: id }, s.display_name || s.key), input, s.help_text ? h("div", { class: "help" }, s.help_text) : null);
  });
  const save = async () => {
    const values = {};
    for (const [key, [input, type]] of Object.entries(inputs)) values[key] = type === "bool" ? input.checked : (type === "number" ? Number(input.value) : input.value);
    try {
      await api("PUT", `/api/settings/${encodeURIComponent(plugin)}`, { settings: values });
      notice("settings saved; the plugins got OnConfigurationChange");
    } catch (error) { failed(error); }
  };
  return [pluginPicker(loadState), data.header ? h("p", {}, data.header) : null,
    fields.length ? fields : h("p", { class: "muted" }, "plugin.json declares no settings."),
    fields.length ? h("button", { type: "button", onclick: save }, "Save settings") : null];
}

async function snapshotView() {
  const data = await api("GET", "/api/snapshots");
  const name = h("input", { "aria-label": "snapshot name", placeholder: "name" });
  const run = async (method, path, body, done) => {
    try { await api(method, path, body); notice(done); loadState(); loadWorld().then(loadPosts); } catch (error) { failed(error); }
  };
  return [h("p", {}, name, " ", h("button", { type: "button", onclick: () => run("POST", "/api/snapshots", { name: name.value }, "snapshot saved") }, "Save a snapshot"),
      " ", h("button", { type: "button", onclick: () => confirm("Start over from the world? Everything in the state goes.") && run("POST", "/api/state/reset", undefined, "state reset; the plugins restart") }, "Reset the state")),
    h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Name", "Size", "Saved", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, data.snapshots.map((s) => h("tr", {}, h("td", {}, s.name), h("td", {}, Math.round(s.size / 1024) + " KiB"),
        h("td", {}, new Date(s.created * 1000).toLocaleString()),
        h("td", { class: "row-tools" },
          h("button", { type: "button", onclick: () => run("POST", `/api/snapshots/${encodeURIComponent(s.name)}/restore`, undefined, `restored ${s.name}; the plugins restart`) }, "Restore"),
          h("button", { type: "button", onclick: () => run("DELETE", `/api/snapshots/${encodeURIComponent(s.name)}`, undefined, `deleted ${s.name}`) }, "Delete"))))))];
}

async function clockView() {
  const data = await api("GET", "/api/clock");
  if (!data.live) return [h("p", { class: "muted" }, "The clock moves while `mmplug dev` runs.")];
  const by = h("input", { "aria-label": "advance by", placeholder: "1d", value: "1d", size: 8 });
  const to = h("input", { "aria-label": "set to", placeholder: "2026-03-01T09:00", size: 18 });
  const retention = h("input", { type: "checkbox", "aria-label": "run data retention" });
  const move = async (body) => {
    try {
      const answer = await api("POST", "/api/clock", { ...body, data_retention: retention.checked });
      const ran = answer.ran.length ? `; ${answer.ran.length} job run(s): ` + answer.ran.map((r) => `${r.job} on ${r.node}`).join(", ") : "; no job was due";
      notice(`clock: ${answer.before} → ${answer.now}${ran}`);
      loadState();
    } catch (error) { failed(error); }
  };
  const due = Object.entries(data.due);
  return [h("p", {}, "Host time: ", h("strong", { id: "clock-now" }, data.now), data.running ? " (running)" : " (standing)"),
    h("p", {}, "Advance by ", by, " ", h("button", { type: "button", id: "clock-advance", onclick: () => move({ advance: by.value }) }, "Advance the clock"),
      "  or set to ", to, " ", h("button", { type: "button", onclick: () => move({ to: to.value }) }, "Set"),
      "  ", h("label", {}, retention, " run data retention on the way")),
    h("p", { class: "muted" }, "Scheduled jobs (mmplug.sdk.cluster.schedule) run in order as they fall due; KV entries that expire on the way are gone."),
    due.length ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Node", "Next job due"].map((t) => h("th", {}, t)))),
      h("tbody", {}, due.map(([node, at]) => h("tr", {}, h("td", {}, node), h("td", {}, at))))) : h("p", { class: "muted" }, "No scheduled job is due.")];
}

// -- HTTP -------------------------------------------------------------------------------------
async function loadHttp() {
  const data = await api("GET", "/api/http/routes");
  const select = $("http-plugin");
  const keep = select.value;
  select.replaceChildren(...data.plugins.map((p) => h("option", { value: p.plugin_id }, p.plugin_id)));
  if (keep) select.value = keep;
  const plugin = data.plugins.find((p) => p.plugin_id === select.value) || data.plugins[0];
  $("http-routes").replaceChildren(...(plugin ? plugin.routes : []).map((r) => h("li", {},
    h("button", { type: "button", class: "open", onclick: () => { $("http-method").value = r.methods[0] === "ANY" ? "GET" : r.methods[0]; $("http-path").value = r.path; $("http-path").focus(); } },
      `${r.methods.join(",")} ${r.path}`), h("span", { class: "muted" }, " " + r.where))));
}

async function sendHttp(event) {
  event.preventDefault();
  const headers = {};
  for (const line of $("http-headers").value.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  try {
    const answer = await api("POST", "/api/http/request", { plugin_id: $("http-plugin").value, method: $("http-method").value,
      path: $("http-path").value, user: $("http-user").value, headers, body: $("http-body").value });
    $("http-answer").replaceChildren(h("h2", {}, `${answer.status} · ${answer.duration_ms} ms`), h("p", { class: "muted" }, answer.url),
      h("pre", {}, answer.headers.map(([k, v]) => `${k}: ${v}`).join("\n")), h("pre", {}, answer.body + (answer.truncated ? "\n… (cut at 256 KiB)" : "")));
  } catch (error) { failed(error); }
}

// -- live updates -----------------------------------------------------------------------------
function listen() {
  const source = new EventSource("/api/stream?token=" + encodeURIComponent(TOKEN));
  const refreshPosts = debounce(() => loadPosts().catch(() => {}), 80);
  const refreshTrace = debounce(() => { if (!$("view-trace").hidden) loadTrace().catch(() => {}); }, 250);
  const refreshStatus = debounce(() => loadStatus().then(() => loadWorld()).catch(() => {}), 150);
  const refreshEvents = debounce(loadSideEvents, 200);
  source.addEventListener("calls", refreshTrace);
  source.addEventListener("reset", () => { refreshTrace(); refreshPosts(); });
  source.addEventListener("status", refreshStatus);
  source.addEventListener("change", (e) => {
    const change = JSON.parse(e.data);
    if (change.kind === "open_dialog") { if (change.user_id === S.me) checkDialogs(); return; }
    if (change.kind === "status") { refreshStatus(); return; }
    if (!change.channel_id || change.channel_id === S.channel) refreshPosts();
    if (change.kind !== "ephemeral_post") refreshEvents();
    if (["user_added", "channel_created", "added_to_team", "channel_updated"].includes(change.event)) refreshStatus();
  });
}

// -- wiring -----------------------------------------------------------------------------------
function wire() {
  for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener("click", () => showView(tab.id.slice(4)));
  $("chat-user").addEventListener("change", (e) => { S.me = e.target.value; S.thread = ""; $("thread").hidden = true; renderChannels(); loadPosts(); checkDialogs(); });
  $("composer").addEventListener("submit", async (e) => { e.preventDefault(); if (await send($("message").value, "")) $("message").value = ""; showCommands(); });
  $("message").addEventListener("input", showCommands);
  $("message").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && moveCommand(1)) { e.preventDefault(); return; }
    if (e.key === "ArrowUp" && moveCommand(-1)) { e.preventDefault(); return; }
    if ((e.key === "Tab" || e.key === "Enter") && S.commandsShown.length && !$("message").value.includes(" ")) { e.preventDefault(); pickCommand(S.commandIndex); return; }
    if (e.key === "Escape") { $("command-list").hidden = true; S.commandsShown = []; return; }
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  $("thread-composer").addEventListener("submit", async (e) => { e.preventDefault(); if (await send($("thread-message").value, S.thread)) $("thread-message").value = ""; });
  $("thread-message").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("thread-composer").requestSubmit(); } });
  $("thread-close").addEventListener("click", () => { S.thread = ""; $("thread").hidden = true; });
  const refilter = debounce(() => loadTrace(), 150);
  for (const id of ["f-hook", "f-method", "f-user", "f-kind", "f-errors"]) $(id).addEventListener("change", () => loadTrace());
  $("f-text").addEventListener("input", refilter);
  $("trace-filter").addEventListener("submit", (e) => { e.preventDefault(); loadTrace(); });
  $("trace-more").addEventListener("click", () => loadTrace(true));
  $("trace-rows").addEventListener("click", traceClick);
  $("keep-save").addEventListener("click", keepSelected);
  for (const b of document.querySelectorAll("[data-state]")) b.addEventListener("click", () => { S.stateTab = b.dataset.state; loadState(); });
  $("http-form").addEventListener("submit", sendHttp);
  $("http-plugin").addEventListener("change", loadHttp);
  $("dialog-form").addEventListener("submit", (e) => { e.preventDefault(); submitDialog(false); });
  $("dialog-cancel").addEventListener("click", () => submitDialog(true));
  $("dialog").addEventListener("cancel", (e) => { e.preventDefault(); submitDialog(true); });
}

async function main() {
  wire();
  try {
    await loadStatus();
    await loadWorld();
    await loadPosts();
    loadSideEvents();
    checkDialogs();
  } catch (error) { failed(error); }
  listen();
  const view = location.hash.slice(1);
  showView(["chat", "trace", "state", "http"].includes(view) ? view : "chat");
  document.body.dataset.ready = "1";
}

main();
