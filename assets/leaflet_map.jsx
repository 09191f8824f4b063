// Trinity's map: react-leaflet with DOM price markers and an offline country outline.
//
// Wrapped by app/components/leaflet_map.py (a NoSSRComponent). The outline (Natural Earth via
// world-atlas) is drawn under the optional tile layer, so without internet the map still shows
// land, water, markers and attribution. Only moves the user makes are reported as "user" moves:
// programmatic fits (a new place searched) are reported with user=false.
//
// Cluster bubbles (`clusters`) count the hits of a grid cell that have no price marker; a click
// flies to the cell, and that user move makes the page search it.
//
// The highlighted marker lives here, in the browser: hovering or focusing a marker, or a card of
// the linked list (`linkedListId`: an element whose `[data-hotel-id]` descendants are the cards),
// highlights both, with no round trip to the server. The card gets `data-active="true"`.
import React, { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
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
.trinity-cluster-marker {
  position: absolute; left: 0; top: 0; transform: translate(-50%, -50%);
  display: flex; align-items: center; justify-content: center; box-sizing: border-box;
  min-width: 34px; height: 34px; padding: 0 8px; border-radius: 999px;
  background: rgba(13, 148, 136, 0.88); color: #ffffff; border: 3px solid rgba(204, 251, 241, 0.9);
  font-size: 12px; font-weight: 700; white-space: nowrap; cursor: zoom-in;
  box-shadow: 0 1px 4px rgba(15, 23, 42, 0.3);
}
.trinity-cluster-marker.is-large { min-width: 44px; height: 44px; font-size: 13px; }
.trinity-map .leaflet-marker-icon:focus-visible .trinity-cluster-marker {
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

function priceIcon(id, label) {
  return L.divIcon({
    className: "trinity-marker-wrap",
    iconSize: null,
    html: `<span class="trinity-price-marker" data-hotel-id="${escapeHtml(id)}">${escapeHtml(
      label,
    )}</span>`,
  });
}

function clusterIcon(count, label) {
  const size = count >= 100 ? " is-large" : "";
  return L.divIcon({
    className: "trinity-marker-wrap",
    iconSize: null,
    html: `<span class="trinity-cluster-marker${size}" data-count="${escapeHtml(count)}">${escapeHtml(
      label,
    )}</span>`,
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

function hotelIdOf(element) {
  const id = element ? element.getAttribute("data-hotel-id") : null;
  return Number(id) || 0;
}

function useLinkedList(listId, setHoverId) {
  // Cards may mount, unmount and re-render at any time: listen on the document and look the
  // card up from the event (mouseover/out and focusin/out bubble; mouseenter does not).
  useEffect(() => {
    if (!listId) return undefined;
    const cardId = (node) => {
      const card = node instanceof Element ? node.closest("[data-hotel-id]") : null;
      const list = card && document.getElementById(listId);
      return list && list.contains(card) ? hotelIdOf(card) : 0;
    };
    const enter = (e) => {
      const id = cardId(e.target);
      if (id && id !== cardId(e.relatedTarget)) setHoverId(id);
    };
    const leave = (e) => {
      const id = cardId(e.target);
      if (id && id !== cardId(e.relatedTarget)) setHoverId(0);
    };
    const events = { mouseover: enter, focusin: enter, mouseout: leave, focusout: leave };
    for (const [name, handler] of Object.entries(events)) document.addEventListener(name, handler);
    return () => {
      for (const [name, handler] of Object.entries(events)) {
        document.removeEventListener(name, handler);
      }
    };
  }, [listId, setHoverId]);
}

function useCardHighlight(listId, activeId, markers) {
  // React does not own `data-active` on the cards, so a re-rendered list keeps no stale mark:
  // it is set again after every change of the highlight or of the results.
  useEffect(() => {
    const list = listId && document.getElementById(listId);
    if (!list) return;
    for (const card of list.querySelectorAll("[data-active]")) card.removeAttribute("data-active");
    const card = activeId && list.querySelector(`[data-hotel-id="${activeId}"]`);
    if (card) card.setAttribute("data-active", "true");
  }, [listId, activeId, markers]);
}

// Memoized: a hover changes `active` on two markers, and only those two re-render. The highlight
// is a class on the marker's element, not a new icon: Leaflet replaces a marker's element on a
// new icon, and a click whose press and release straddle that would be lost.
const PriceMarker = memo(function PriceMarker({ marker, active, onHover, onMarkerClick }) {
  const ref = useRef(null);
  const icon = useMemo(() => priceIcon(marker.id, marker.label), [marker.id, marker.label]);
  useEffect(() => {
    const element = ref.current && ref.current.getElement();
    const price = element && element.querySelector(".trinity-price-marker");
    if (price) price.classList.toggle("is-active", active);
  }, [icon, active]);
  const handlers = useMemo(
    () => ({
      mouseover: () => onHover(marker.id),
      mouseout: () => onHover(0),
      click: () => onMarkerClick && onMarkerClick(marker.id),
      keypress: (e) => {
        if (e.originalEvent && e.originalEvent.key === "Enter" && onMarkerClick) {
          onMarkerClick(marker.id);
        }
      },
    }),
    [marker.id, onHover, onMarkerClick],
  );
  return (
    <Marker
      ref={ref}
      position={[marker.lat, marker.lng]}
      icon={icon}
      title={marker.title || marker.label}
      zIndexOffset={active ? 1000 : 0}
      eventHandlers={handlers}
      keyboard={Boolean(onMarkerClick)}
    />
  );
});

// A bubble for the hits of a grid cell that have no price marker. A click (or Enter) zooms the
// map to the cell: a user move, so the page searches it and the bubble splits into markers.
const ClusterMarker = memo(function ClusterMarker({ cluster }) {
  const map = useMap();
  const icon = useMemo(
    () => clusterIcon(cluster.count, cluster.label),
    [cluster.count, cluster.label],
  );
  const handlers = useMemo(() => {
    const zoom = () => {
      const bounds = toBounds(cluster.bounds);
      if (bounds) map.flyToBounds(bounds, { padding: [24, 24], duration: 0.4 });
    };
    return {
      click: zoom,
      keypress: (e) => {
        if (e.originalEvent && e.originalEvent.key === "Enter") zoom();
      },
    };
  }, [map, cluster.bounds]);
  return (
    <Marker
      position={[cluster.lat, cluster.lng]}
      icon={icon}
      title={cluster.title || cluster.label}
      zIndexOffset={-1000}
      eventHandlers={handlers}
      keyboard={true}
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
  clusters = [],
  activeId = 0,
  linkedListId = "",
  tileUrl = "",
  tileAttribution = "",
  onViewport,
  onMarkerClick,
  label = "Map",
  badge = "",
  className,
  id,
  style,
}) {
  useStyleSheet();
  const programmaticAt = useRef(0);
  // What the pointer or the keyboard is on (0: nothing); the page's own activeId otherwise.
  const [hoverId, setHoverId] = useState(0);
  // A marker or card removed under the pointer sends no mouseout: forget a hover whose hotel is
  // no longer shown, or it would light up again when a later search brings the hotel back.
  useEffect(() => {
    setHoverId((id) => (id && markers.some((m) => m.id === id) ? id : 0));
  }, [markers]);
  const active = hoverId || activeId;
  useLinkedList(linkedListId, setHoverId);
  useCardHighlight(linkedListId, active, markers);
  // Markers are focusable (Tab): a focused marker highlights like a hovered one.
  const markerFocus = useCallback((e) => {
    if (!e.target.classList.contains("leaflet-marker-icon")) return;
    const marker = e.target.querySelector("[data-hotel-id]");
    setHoverId(e.type === "focus" ? hotelIdOf(marker) : 0);
  }, []);
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
      onFocus={markerFocus}
      onBlur={markerFocus}
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
        {clusters.map((cluster) => (
          <ClusterMarker key={`cluster-${cluster.id}`} cluster={cluster} />
        ))}
        {markers.map((marker) => (
          <PriceMarker
            key={marker.id}
            marker={marker}
            active={active !== 0 && marker.id === active}
            onHover={setHoverId}
            onMarkerClick={onMarkerClick}
          />
        ))}
      </MapContainer>
      {badge ? <div className="trinity-map-badge">{badge}</div> : null}
    </div>
  );
}
