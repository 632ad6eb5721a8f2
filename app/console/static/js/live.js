// A live websocket that survives drops: opened with a single-use ticket (POST /api/ws-ticket),
// reopened with ?since=<last seq> so the server replays what the page missed, each event once.
import { api, ApiError, signedOut } from "./api.js";

export class Live {
  constructor(path, { onSnapshot, onEvent, onStatus }) {
    this.path = path;
    this.handlers = { onSnapshot, onEvent, onStatus };
    this.seq = null; // the last event this page has
    this.pending = new Map(); // frame id → {resolve, reject}
    this.nextId = 1;
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  // A client frame; resolves with the ack's result, rejects with the error frame ({code, reason}).
  send(type, fields = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject({ code: "offline", reason: "not connected" });
    }
    const id = String(this.nextId++);
    this.socket.send(JSON.stringify({ type, v: 1, id, ...fields }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async connect() {
    this.handlers.onStatus("connecting");
    let ticket;
    try {
      ticket = (await api("POST", "/api/ws-ticket")).ticket;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return;
      return this.retry();
    }
    if (this.stopped) return;
    const url = new URL(this.path, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    if (this.seq != null) url.searchParams.set("since", this.seq);
    const socket = (this.socket = new WebSocket(url));
    socket.onopen = () => {
      this.attempt = 0;
      this.handlers.onStatus("online");
    };
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = (event) => {
      this.socket = null;
      for (const { reject } of this.pending.values()) reject({ code: "offline", reason: "connection lost" });
      this.pending.clear();
      if (event.code === 4401) return signedOut();
      if (!this.stopped) this.retry();
    };
  }

  receive(frame) {
    if (frame.type === "ack" || frame.type === "error" || frame.type === "pong") {
      const waiting = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.type === "error") waiting?.reject(frame);
      else waiting?.resolve(frame.result);
      return;
    }
    if (frame.type === "snapshot") {
      this.seq = frame.seq;
      this.handlers.onSnapshot(frame);
      return;
    }
    if (frame.seq != null) {
      if (this.seq != null && frame.seq <= this.seq) return; // already shown
      this.seq = frame.seq;
    }
    this.handlers.onEvent(frame);
  }

  retry() {
    this.handlers.onStatus("offline");
    const delay = Math.min(5000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
