// A call's recording: the browser's <audio> on a ticket URL (it cannot send the token), with the
// speeds a listener uses (1×, 1.5×, 2×) and keys: Space plays or pauses, ←/→ move 5 s.
import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const SPEEDS = [1, 1.5, 2];
const STEP = 5; // seconds

// ``recordingId``: a given recording, else the call's newest playable one. Returns {element, audio}.
export function player(callId, recordingId) {
  const audio = h("audio", { controls: true, preload: "metadata" });
  const status = h("span", { class: "muted player-status" });
  const speeds = SPEEDS.map((speed) =>
    h("button", { type: "button", class: "speed", "data-speed": speed, "aria-pressed": String(speed === 1), onclick: () => setSpeed(speed) }, `${speed}×`),
  );
  const element = h("div", { class: "player", tabindex: 0, "data-call": callId, onkeydown: onKey }, audio, h("div", { class: "speeds" }, speeds), status);

  function setSpeed(speed) {
    audio.playbackRate = speed;
    for (const button of speeds) button.setAttribute("aria-pressed", String(Number(button.dataset.speed) === speed));
  }

  function onKey(event) {
    if (event.target.closest?.("input, textarea, select")) return;
    if (event.key === " ") {
      event.preventDefault();
      audio.paused ? audio.play() : audio.pause();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      const moved = audio.currentTime + (event.key === "ArrowLeft" ? -STEP : STEP);
      audio.currentTime = Math.max(0, Math.min(moved, audio.duration || moved));
    }
  }

  api("POST", `/api/calls/${callId}/recording-ticket`, recordingId ? { recording_id: recordingId } : undefined)
    .then(({ url }) => {
      audio.src = url;
    })
    .catch((error) => {
      audio.hidden = true;
      element.classList.add("unavailable");
      status.textContent = unavailable(error);
    });
  return { element, audio };
}

function unavailable(error) {
  if (error.status === 403) return t("player.forbidden");
  if (error.message === "not_ready") return t("player.not_ready");
  if (error.message === "not_stored") return t("player.not_stored");
  if (error.message === "no_recording") return t("player.none");
  return error.message;
}

// "12:05" for a moment of the recording.
export function at(seconds) {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
