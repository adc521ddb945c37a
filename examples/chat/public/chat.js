// The room page: @wsgate/client to /ws/rooms/<room> (import map in room.html), and a small renderer.
// Plain browser JavaScript, no build step. Text only ever goes into the page through textContent.
import { connect } from '@wsgate/client';

const room = decodeURIComponent(location.pathname.split('/')[2] || 'lobby');
const $ = (id) => document.getElementById(id);
const TYPING_SHOWN_MS = 4_000;
const TYPING_RESEND_MS = 2_000;

let me = '';
let typingSentAt = 0;
const typers = new Map(); // name -> timer that hides "is typing"
const shown = new Set(); // ids of the messages on screen: each once, whatever replays or resends

document.title = `#${room} · wsgate chat`;
$('room-name').textContent = `#${room}`;

function setState(state, text) {
  const el = $('state');
  el.dataset.state = state;
  el.textContent = text;
  $('text').disabled = state !== 'connected';
  $('send-button').disabled = state !== 'connected';
}

// @wsgate/client reconnects with backoff (honouring the server's close codes), resumes the room from the
// last message seen (what was said while away arrives once, in order) and queues what is sent offline.
const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
const client = connect(`${scheme}://${location.host}/ws/rooms/${encodeURIComponent(room)}`, {
  reconnect: { minDelay: 250, maxDelay: 10_000 },
  // A page cannot see why an upgrade failed: a 401 here means signed out (stop), anything else retry.
  probe: async () => (await fetch('/api/me')).status,
});
client.on('state', (state, info) => {
  if (state === 'open') {
    setState('connected', 'connected');
    $('text').focus();
  } else if (state === 'reconnecting') {
    setState('offline', `offline (${info?.code ?? '?'}), reconnecting…`);
  } else if (state === 'connecting') {
    setState('connecting', 'connecting…');
  } else {
    // Closed for good: signed out here (401) or in another tab (4001): the sign-in form.
    location.href = `/?room=${encodeURIComponent(room)}`;
  }
});
client.on('message', (data) => onEvent(JSON.parse(data)));
// The server could not replay what this page missed (beyond the room's history): it sends the history
// again with the next welcome; nothing is shown twice (ids).
client.on('reset', () => append(notice('some messages could not be recovered', 'notice divider')));

function onEvent(event) {
  switch (event.type) {
    case 'welcome':
      me = event.you;
      $('me').textContent = me;
      renderHistory(event.history);
      renderMembers(event.members);
      break;
    case 'message':
      showTyping(event.from, false);
      show(event);
      break;
    case 'join':
    case 'leave':
      if (event.type === 'leave') showTyping(event.name, false);
      append(notice(`${event.name} ${event.type === 'join' ? 'joined' : 'left'}`));
      break;
    case 'presence':
      renderMembers(event.members);
      break;
    case 'typing':
      showTyping(event.name, event.typing);
      break;
    case 'error':
      append(notice(`server: ${event.error}`, 'error'));
      break;
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function messageItem(m) {
  const li = el('li', m.from === me ? 'msg mine' : 'msg');
  li.dataset.id = m.id;
  li.dataset.at = String(m.at);
  const time = el('time', '', new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  time.dateTime = new Date(m.at).toISOString();
  li.append(el('b', 'from', m.from), el('span', 'text', m.text), time);
  return li;
}

function notice(text, kind = 'notice') {
  return el('li', kind, text);
}

function append(item) {
  const log = $('log');
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

/** A message, once: placed by time among those shown (a history can arrive after a live message). */
function show(m) {
  if (shown.has(m.id)) return;
  shown.add(m.id);
  const item = messageItem(m);
  const later = [...$('log').querySelectorAll('li.msg')].find((li) => Number(li.dataset.at) > m.at);
  if (later) later.before(item);
  else append(item);
}

function renderHistory(history) {
  const first = shown.size === 0;
  const fresh = history.filter((m) => !shown.has(m.id));
  for (const m of fresh) show(m);
  if (first && fresh.length > 0)
    append(notice(`the last ${fresh.length} messages of #${room}`, 'notice divider'));
}

function renderMembers(names) {
  $('members').replaceChildren(...names.map((name) => el('li', name === me ? 'me' : '', name)));
}

function showTyping(name, typing) {
  clearTimeout(typers.get(name));
  typers.delete(name);
  if (typing && name !== me)
    typers.set(
      name,
      setTimeout(() => showTyping(name, false), TYPING_SHOWN_MS),
    );
  const names = [...typers.keys()];
  $('typing').textContent =
    names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function send(event) {
  client.send(JSON.stringify(event)); // queued while reconnecting, sent after the next hello
}

$('text').addEventListener('input', () => {
  const typing = $('text').value.trim() !== '';
  const now = Date.now();
  if (typing && now - typingSentAt < TYPING_RESEND_MS) return;
  if (!typing && typingSentAt === 0) return;
  send({ type: 'typing', typing });
  typingSentAt = typing ? now : 0;
});

$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  send({ type: 'message', text });
  $('text').value = '';
  typingSentAt = 0; // a message ends the typing on the other side
});

$('goto').addEventListener('submit', (e) => {
  e.preventDefault();
  const next = $('goto-room').value.trim().toLowerCase();
  if (next) location.href = `/rooms/${encodeURIComponent(next)}`;
});

// Room names are lowercase: lowercase as typed, so the box's pattern accepts "Kitchen" as #kitchen.
$('goto-room').addEventListener('input', () => {
  $('goto-room').value = $('goto-room').value.toLowerCase();
});
