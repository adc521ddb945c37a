// The room page: one WebSocket to /ws/rooms/<room>, reconnected with backoff, and a small renderer.
// Plain browser JavaScript, no build step. Text only ever goes into the page through textContent.
const room = decodeURIComponent(location.pathname.split('/')[2] || 'lobby');
const $ = (id) => document.getElementById(id);
const TYPING_SHOWN_MS = 4_000;
const TYPING_RESEND_MS = 2_000;

let socket;
let attempt = 0;
let me = '';
let typingSentAt = 0;
const typers = new Map(); // name -> timer that hides "is typing"

document.title = `#${room} · wsgate chat`;
$('room-name').textContent = `#${room}`;

function setState(state, text) {
  const el = $('state');
  el.dataset.state = state;
  el.textContent = text;
  $('text').disabled = state !== 'connected';
  $('send-button').disabled = state !== 'connected';
}

function connect() {
  setState('connecting', attempt === 0 ? 'connecting…' : 'reconnecting…');
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws/rooms/${encodeURIComponent(room)}`);
  socket = ws;
  ws.onopen = () => {
    attempt = 0;
    setState('connected', 'connected');
    $('text').focus();
  };
  ws.onmessage = (e) => onEvent(JSON.parse(e.data));
  ws.onclose = (e) => {
    // 4001: signed out in another tab; the sign-in form, not a retry.
    if (e.code === 4001) location.href = `/?room=${encodeURIComponent(room)}`;
    else reconnectLater(e.code);
  };
}

async function reconnectLater(code) {
  // Exponential backoff with jitter: after a restart, a room full of tabs does not come back at once.
  const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
  attempt++;
  setState('offline', `offline (${code}), retrying in ${Math.ceil(delay / 1000)} s`);
  await new Promise((resolve) => setTimeout(resolve, delay));
  // A page cannot see why an upgrade failed: ask whether the sign-in still holds before retrying.
  try {
    const res = await fetch('/api/me');
    if (res.status === 401) {
      location.href = `/?room=${encodeURIComponent(room)}`;
      return;
    }
  } catch {
    // The server is still down; the next attempt will fail fast and back off further.
  }
  connect();
}

function onEvent(event) {
  switch (event.type) {
    case 'welcome':
      me = event.you;
      $('me').textContent = me;
      renderHistory(event.history);
      renderMembers(event.members);
      break;
    case 'history':
      renderHistory(event.history);
      break;
    case 'message':
      showTyping(event.from, false);
      append(messageItem(event));
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

function renderHistory(history) {
  const log = $('log');
  log.replaceChildren(...history.map(messageItem));
  if (history.length > 0)
    log.append(notice(`the last ${history.length} messages of #${room}`, 'notice divider'));
  log.scrollTop = log.scrollHeight;
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
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
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

connect();

// Room names are lowercase: lowercase as typed, so the box's pattern accepts "Kitchen" as #kitchen.
$('goto-room').addEventListener('input', () => {
  $('goto-room').value = $('goto-room').value.toLowerCase();
});
