// Rating page, videos: a first full play with no seeking before the rating opens, then optional replays.
// `onPlayedThrough` is called once, when the first play ends. Part of the rating page (rate.js wires the parts).
(function () {
  "use strict";
  window.moslabRate = window.moslabRate || {};
  const FIRST_PLAY = "Watch the whole clip once: rating opens when it ends. Seeking is off during the first play.";

  window.moslabRate.createVideo = function ({ $, video, protocol, onPlayedThrough }) {
    let playback = null;  // the clip on screen: how far it played, whether it ended once, replays

    function show(task) {
      playback = { task: task.id, furthest: 0, last: 0, played: 0, ended: false, replays: 0, seeksBlocked: 0 };
      video.controls = false;
      video.dataset.width = task.width;
      video.dataset.height = task.height;
      video.dataset.task = task.id;
      video.src = task.image_url;
      video.load();
      $("play").hidden = false;
      $("play").innerHTML = "&#9654; Play (Space)";
      $("replay").hidden = true;
      $("playback-text").textContent = FIRST_PLAY;
      $("playback-note").hidden = false;
    }

    function stop() {
      if (!playback) return;
      video.pause();
      playback = null;
    }

    function play() {
      if (!playback || !video.paused) return;
      $("play").hidden = true;
      $("replay").hidden = true;
      if (playback.ended) {  // a replay, allowed by the protocol
        playback.replays += 1;
        video.currentTime = 0;
        playback.last = 0;
      }
      video.play().catch(() => { $("play").hidden = false; });
    }

    video.addEventListener("timeupdate", () => {
      if (!playback || video.seeking) return;
      const step = video.currentTime - playback.last;
      if (step > 0 && step < 1.5) playback.played += step;  // watched at normal speed
      playback.last = video.currentTime;
      if (!playback.ended) playback.furthest = Math.max(playback.furthest, video.currentTime);
    });
    video.addEventListener("seeking", () => {
      if (!playback) return;
      if (!playback.ended && Math.abs(video.currentTime - playback.furthest) > 0.05) {
        playback.seeksBlocked += 1;  // no seeking during the first play: back to the furthest point played
        video.currentTime = playback.furthest;
      }
      playback.last = playback.ended ? video.currentTime : playback.furthest;
    });
    video.addEventListener("pause", () => {
      if (playback && !video.ended && !playback.ended) { $("play").innerHTML = "&#9654; Continue (Space)"; $("play").hidden = false; }
    });
    video.addEventListener("ended", () => {
      if (!playback) return;
      const rest = video.duration - playback.last;
      if (rest > 0 && rest < 1.5) playback.played += rest;
      playback.last = video.duration;
      if (!playback.ended) {
        playback.ended = true;
        playback.furthest = video.duration;
        onPlayedThrough();
      }
      $("playback-text").textContent = "Played through: rate it now." + (protocol.replay ? " You may replay it." : "");
      $("replay").hidden = !protocol.replay;
    });
    $("play").addEventListener("click", play);
    $("replay").addEventListener("click", play);

    return {
      show, stop, play,
      active: () => Boolean(playback),
      waiting: () => Boolean(playback) && !playback.ended,  // nothing may be scored before the first full play
      canPlay: () => !$("play").hidden || !$("replay").hidden,
      // the vote's display record of the clip
      record: () => playback && {
        media: "video", played_through: playback.ended, played_seconds: Math.round(playback.played * 100) / 100,
        replays: playback.replays, seeks_blocked: playback.seeksBlocked,
        video_duration: Math.round((video.duration || 0) * 1000) / 1000,
      },
      state: () => playback && { furthest: playback.furthest, played: playback.played, ended: playback.ended,
        replays: playback.replays, seeks_blocked: playback.seeksBlocked },
    };
  };
})();
