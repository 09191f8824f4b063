// A hold countdown that ticks in the browser (no server round trip per second).
// Wrapped by app/components/countdown.py; calls onExpire once when the deadline passes.
import React, { useEffect, useRef, useState } from "react";

function remaining(deadline) {
  const end = Date.parse(deadline);
  return Number.isNaN(end) ? 0 : Math.max(0, Math.round((end - Date.now()) / 1000));
}

function format(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

export function Countdown({ deadline, expiredText = "expired", onExpire, className, id, style }) {
  const [left, setLeft] = useState(() => remaining(deadline));
  const fired = useRef(false);
  useEffect(() => {
    fired.current = false;
    setLeft(remaining(deadline));
    const timer = setInterval(() => setLeft(remaining(deadline)), 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  useEffect(() => {
    if (left === 0 && deadline && !fired.current) {
      fired.current = true;
      if (onExpire) onExpire();
    }
  }, [left, deadline]);
  return (
    <span className={className} id={id} style={style} role="timer" aria-live="off">
      {left > 0 ? format(left) : expiredText}
    </span>
  );
}
