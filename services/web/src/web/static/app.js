// Progressive enhancement: the pages work without this file. With it, maps show (Leaflet, served by
// the web itself) and the filing form gets "my location" and a point chosen on the map, which fill
// the same latitude and longitude inputs the form posts without JavaScript.
(function () {
  "use strict";
  if (!window.L) { return; }
  L.Icon.Default.imagePath = "/static/vendor/images/";

  function mapOf(el) {
    var centre = [parseFloat(el.dataset.lat), parseFloat(el.dataset.long)];
    var map = L.map(el, { attributionControl: !!el.dataset.tiles }).setView(centre, 13);
    if (el.dataset.tiles) {
      // The tile server is a setting; without one the points are drawn on the plain background
      // and the page asks nothing of anyone else.
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  document.querySelectorAll("[data-map]").forEach(function (el) {
    el.hidden = false;
    var map = mapOf(el);
    if (el.dataset.geojson) {
      fetch(el.dataset.geojson, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : { type: "FeatureCollection", features: [] }; })
        .then(function (data) {
          L.geoJSON(data, {
            pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 7, color: "#0b4f9c", weight: 2 }); },
            onEachFeature: function (f, layer) {
              var p = f.properties || {};
              var link = document.createElement("a");
              link.href = "/requests/" + encodeURIComponent(p.service_request_id || "");
              link.textContent = (p.service_name || p.service_code || "Звернення") + " · " + (p.status || "");
              layer.bindPopup(link);
            }
          }).addTo(map);
        });
    }
    if (el.hasAttribute("data-pick")) {
      var lat = document.getElementById("lat"), long = document.getElementById("long");
      var marker = null;
      var put = function (latlng) {
        lat.value = latlng.lat.toFixed(6);
        long.value = latlng.lng.toFixed(6);
        if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
      };
      if (lat.value && long.value) { put(L.latLng(parseFloat(lat.value), parseFloat(long.value))); }
      map.on("click", function (e) { put(e.latlng); });
      var mine = document.querySelector("[data-my-location]");
      if (mine && navigator.geolocation) {
        mine.hidden = false;
        mine.addEventListener("click", function () {
          navigator.geolocation.getCurrentPosition(function (pos) {
            var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
            put(here);
            map.setView(here, 16);
          });
        });
      }
    }
  });
})();
