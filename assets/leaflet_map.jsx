// Trinity's map: react-leaflet with DOM price markers and an offline country outline.
//
// Wrapped by app/components/leaflet_map.py (a NoSSRComponent). The outline (Natural Earth via
// world-atlas) is drawn under the optional tile layer, so without internet the map still shows
// land, water, markers and attribution. Only moves the user makes are reported as "user" moves:
// programmatic fits (a new place searched) are reported with user=false.
import React, { memo, useEffect, useMemo, useRef } from "react";
import {
  GeoJSON,
  MapContainer,
  Marker,
  ScaleControl,
  TileLayer,
  useMap,
  useMapEvents,
} from "react-leaflet";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { feature } from "topojson-client";
import countries110m from "world-atlas/countries-110m.json";

const OUTLINE = feature(countries110m, countries110m.objects.countries);
const OUTLINE_STYLE = {
  color: "#94a3b8",
  weight: 0.8,
  fillColor: "#eef3ef",
  fillOpacity: 1,
};
const OUTLINE_ATTRIBUTION = "Outline © Natural Earth";
// A programmatic fit that does not move the map fires no moveend: forget the flag after this.
const PROGRAMMATIC_WINDOW_MS = 1500;

const STYLE_ID = "trinity-map-style";
const CSS = `
.trinity-map { position: relative; isolation: isolate; }
.trinity-map .leaflet-container { background: #dbeafe; font: inherit; }
.trinity-marker-wrap { background: none; border: none; }
.trinity-price-marker {
  position: absolute; left: 0; top: 0; transform: translate(-50%, -100%);
  display: inline-block; white-space: nowrap; padding: 2px 8px; border-radius: 999px;
  background: #ffffff; color: #0f172a; border: 1px solid #0d9488;
  font-size: 12px; font-weight: 700; line-height: 18px;
  box-shadow: 0 1px 3px rgba(15, 23, 42, 0.25); cursor: pointer;
  transition: transform 120ms ease, background 120ms ease;
}
.trinity-price-marker::after {
  content: ""; position: absolute; left: 50%; bottom: -5px; margin-left: -4px;
  border: 4px solid transparent; border-top-color: #0d9488; border-bottom: 0;
}
.trinity-price-marker.is-active {
  background: #0d9488; color: #ffffff; transform: translate(-50%, -100%) scale(1.12);
}
.trinity-map .leaflet-marker-icon:focus-visible .trinity-price-marker {
  outline: 2px solid #0f172a; outline-offset: 2px;
}
.trinity-map-badge {
  position: absolute; z-index: 1000; right: 10px; top: 10px; pointer-events: none;
  background: rgba(255, 255, 255, 0.85); color: #475569; font-size: 11px;
  padding: 2px 6px; border-radius: 4px;
}
`;

function useStyleSheet() {
  useEffect(() => {
    if (document.getElementById(STYLE_ID)) return;
    const style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = CSS;
    document.head.appendChild(style);
  }, []);
}

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function priceIcon(id, label, active) {
  return L.divIcon({
    className: "trinity-marker-wrap",
    iconSize: null,
    html: `<span class="trinity-price-marker${active ? " is-active" : ""}" data-hotel-id="${escapeHtml(
      id,
    )}">${escapeHtml(label)}</span>`,
  });
}

function toBounds(box) {
  // [[south, west], [north, east]] or null
  if (!Array.isArray(box) || box.length !== 2) return null;
  const [[s, w], [n, e]] = box;
  if ([s, w, n, e].some((v) => typeof v !== "number" || Number.isNaN(v))) return null;
  return L.latLngBounds([s, w], [n, e]);
}

function round(value) {
  return Math.round(value * 1e5) / 1e5;
}

function viewportAt(map, shift, user) {
  // The bounds once the map pane has moved by `shift` pixels (0,0: the bounds now).
  const size = map.getSize();
  const ne = map.containerPointToLatLng([size.x - shift.x, -shift.y]);
  const sw = map.containerPointToLatLng([-shift.x, size.y - shift.y]);
  return {
    ne_lat: round(ne.lat),
    ne_lng: round(ne.lng),
    sw_lat: round(sw.lat),
    sw_lng: round(sw.lng),
    zoom: map.getZoom(),
    user,
  };
}

function coastShift(map) {
  // Where the inertia glide after a drag will leave the map pane, relative to now, or null.
  // Leaflet keeps the glide's start and offset on its (private) pan animation; the glide can
  // take half a second, and reporting its end at its start lets the search run meanwhile.
  const anim = map._panAnim;
  if (!anim || !anim._inProgress || !anim._startPos || !anim._offset) return null;
  const now = L.DomUtil.getPosition(map.getPane("mapPane"));
  return anim._startPos.add(anim._offset).subtract(now);
}

function ViewportReporter({ onViewport, programmaticAt }) {
  const coasting = useRef(false);
  const lastKey = useRef("");
  const report = (view) => {
    // The same user viewport twice (the glide's end after its start) is reported once, so it
    // does not restart the debounce.
    const key = view.user ? [view.ne_lat, view.ne_lng, view.sw_lat, view.sw_lng].join() : "";
    if (key && key === lastKey.current) return;
    lastKey.current = key;
    onViewport(view);
  };
  const map = useMapEvents({
    resize() {
      // The container changed size (a phone rotated, a window resized): not the user's choice.
      programmaticAt.current = Date.now();
    },
    dragend() {
      coasting.current = true; // the glide's first step is a "move" (none: "moveend" follows)
    },
    move() {
      if (!coasting.current || !onViewport) return;
      coasting.current = false;
      const shift = coastShift(map);
      if (shift) report(viewportAt(map, shift, true));
    },
    moveend() {
      coasting.current = false;
      if (!onViewport) return;
      const user = Date.now() - programmaticAt.current > PROGRAMMATIC_WINDOW_MS;
      programmaticAt.current = 0;
      report(viewportAt(map, L.point(0, 0), user));
    },
  });
  return null;
}

function FitController({ fitBounds, fitKey, programmaticAt }) {
  const map = useMap();
  useEffect(() => {
    if (!fitKey) return;
    const bounds = toBounds(fitBounds);
    if (!bounds) return;
    programmaticAt.current = Date.now();
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.setView(bounds.getCenter(), 13);
    } else {
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 14 });
    }
  }, [fitKey]);
  return null;
}

// Memoized: a hover changes `active` on two markers, and only those two re-render.
const PriceMarker = memo(function PriceMarker({ marker, active, onMarkerHover, onMarkerClick }) {
  const icon = useMemo(
    () => priceIcon(marker.id, marker.label, active),
    [marker.id, marker.label, active],
  );
  const handlers = useMemo(
    () => ({
      mouseover: () => onMarkerHover && onMarkerHover(marker.id),
      mouseout: () => onMarkerHover && onMarkerHover(0),
      click: () => onMarkerClick && onMarkerClick(marker.id),
      keypress: (e) => {
        if (e.originalEvent && e.originalEvent.key === "Enter" && onMarkerClick) {
          onMarkerClick(marker.id);
        }
      },
    }),
    [marker.id, onMarkerHover, onMarkerClick],
  );
  return (
    <Marker
      position={[marker.lat, marker.lng]}
      icon={icon}
      title={marker.title || marker.label}
      zIndexOffset={active ? 1000 : 0}
      eventHandlers={handlers}
      keyboard={Boolean(onMarkerClick)}
    />
  );
});

export function TrinityMap({
  center = [38.72, -9.14],
  zoom = 12,
  bounds = null,
  fitBounds = null,
  fitKey = 0,
  markers = [],
  activeId = 0,
  tileUrl = "",
  tileAttribution = "",
  onViewport,
  onMarkerHover,
  onMarkerClick,
  label = "Map",
  badge = "",
  className,
  id,
  style,
}) {
  useStyleSheet();
  const programmaticAt = useRef(0);
  const initial = toBounds(bounds);
  const attribution = [tileUrl ? tileAttribution : "", OUTLINE_ATTRIBUTION]
    .filter(Boolean)
    .join(" · ");
  return (
    <div
      className={["trinity-map", className].filter(Boolean).join(" ")}
      id={id}
      style={style}
      role="region"
      aria-label={label}
    >
      <MapContainer
        {...(initial ? { bounds: initial } : { center, zoom })}
        style={{ height: "100%", width: "100%", minHeight: "inherit" }}
        worldCopyJump={true}
        minZoom={2}
      >
        <GeoJSON data={OUTLINE} style={OUTLINE_STYLE} interactive={false} attribution={attribution} />
        {tileUrl ? <TileLayer url={tileUrl} /> : null}
        <ScaleControl position="bottomleft" imperial={false} />
        <ViewportReporter onViewport={onViewport} programmaticAt={programmaticAt} />
        <FitController fitBounds={fitBounds} fitKey={fitKey} programmaticAt={programmaticAt} />
        {markers.map((marker) => (
          <PriceMarker
            key={marker.id}
            marker={marker}
            active={activeId !== 0 && marker.id === activeId}
            onMarkerHover={onMarkerHover}
            onMarkerClick={onMarkerClick}
          />
        ))}
      </MapContainer>
      {badge ? <div className="trinity-map-badge">{badge}</div> : null}
    </div>
  );
}
