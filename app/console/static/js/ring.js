// The ringer (Web Audio: a browser plays sound only after a gesture, so the shift starts with a
// click) and the desktop notification for an offer that rings while the tab is hidden.
let audio = null;
let timer = null;

export function unlock() {
  audio ??= new AudioContext();
  audio.resume();
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
}

export const soundOn = () => audio?.state === "running";

function beep() {
  const start = audio.currentTime;
  for (const [offset, pitch] of [[0, 440], [0.45, 480]]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = pitch;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.42);
  }
}

export function startRinging() {
  if (timer || !soundOn()) return;
  beep();
  timer = setInterval(beep, 2500);
}

export function stopRinging() {
  clearInterval(timer);
  timer = null;
}

export function notify(title, body, onClick) {
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return null;
  const note = new Notification(title, { body, tag: "callfunnel-offer", requireInteraction: true });
  note.onclick = () => {
    window.focus();
    onClick?.();
    note.close();
  };
  return note;
}
