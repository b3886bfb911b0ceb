// spreiding dashboard: the choropleth map (Leaflet) and the realisation chart (uPlot).
// Data comes from this server's own API; no tiles or fonts from elsewhere.
(function () {
  'use strict';
  var nl = (document.documentElement.lang || 'nl') === 'nl';
  function fmt(v, dec) {
    if (v === null || v === undefined) return '—';
    return Number(v).toLocaleString(nl ? 'nl-NL' : 'en-GB', { minimumFractionDigits: dec || 0, maximumFractionDigits: dec || 0 });
  }
  // Sequential blues, light to dark; readable for colour-blind users.
  var COLORS = ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c'];

  function breaks(values, metric) {
    if (metric === 'offered_pct' || metric === 'realised_pct') return [25, 50, 75, 100];
    var v = values.slice().sort(function (a, b) { return a - b; });
    var q = function (p) { return v[Math.min(v.length - 1, Math.floor(p * v.length))]; };
    return [q(0.2), q(0.4), q(0.6), q(0.8)];
  }
  function classOf(x, br) { for (var i = 0; i < br.length; i++) if (x < br[i]) return i; return br.length; }

  function initMap(el) {
    var L = window.L;
    var labels = el.dataset;
    var map = L.map(el, { zoomSnap: 0.25, minZoom: 6, maxZoom: 12, attributionControl: true, preferCanvas: false });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution('Gemeentegrenzen 2023: CBS/PDOK (CC BY 4.0)');
    var select = document.getElementById('metric');
    var legend = document.getElementById('legend');
    fetch('/api/map.geojson').then(function (r) { return r.json(); }).then(function (gj) {
      var layer;
      function metric() { return select.value; }
      function render() {
        var m = metric();
        var vals = gj.features.map(function (f) { return f.properties[m]; });
        var br = breaks(vals, m);
        layer.eachLayer(function (l) {
          var v = l.feature.properties[m];
          l.setStyle({ fillColor: COLORS[classOf(v, br)], fillOpacity: 0.9, color: '#4a5d73', weight: 0.6 });
        });
        var pct = m.indexOf('pct') > 0, dec = m === 'per_1000' ? 2 : 0;
        var parts = [];
        for (var i = 0; i < COLORS.length; i++) {
          var lo = i === 0 ? null : br[i - 1], hi = i < br.length ? br[i] : null;
          var txt = lo === null ? '< ' + fmt(hi, dec) : hi === null ? '≥ ' + fmt(lo, dec) : fmt(lo, dec) + ' – ' + fmt(hi, dec);
          parts.push('<span><span class="sw" style="background:' + COLORS[i] + '"></span>' + txt + (pct ? ' %' : '') + '</span>');
        }
        legend.innerHTML = parts.join('');
      }
      function tip(p) {
        return '<strong>' + p.gm_naam + '</strong> (' + p.pv_naam + ')<br>' +
          labels.lTask + ': ' + fmt(p.task) + '<br>' +
          labels.lPer_1000 + ': ' + fmt(p.per_1000, 2) + '<br>' +
          labels.lOffered + ': ' + fmt(p.offered) + ' (' + fmt(p.offered_pct, 1) + ' %)<br>' +
          labels.lRealised + ': ' + fmt(p.realised) + ' (' + fmt(p.realised_pct, 1) + ' %)';
      }
      layer = L.geoJSON(gj, {
        style: { weight: 0.6, color: '#4a5d73' },
        onEachFeature: function (f, l) {
          l.bindTooltip(tip(f.properties), { sticky: true, className: 'gm-tip' });
          l.on('mouseover', function () { l.setStyle({ weight: 2.5, color: '#ffb612' }); l.bringToFront(); });
          l.on('mouseout', function () { l.setStyle({ weight: 0.6, color: '#4a5d73' }); });
          l.on('click', function () { window.location.href = '/gemeente/' + f.properties.gm_code; });
          l.on('add', function () {
            var e = l.getElement();
            if (e) {
              // The name as an SVG <title> (a tooltip; no ARIA on a path without a role). Keyboard
              // and screen-reader users have the table below the map.
              e.setAttribute('data-gm', f.properties.gm_code);
              const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
              t.textContent = f.properties.gm_naam;
              e.appendChild(t);
            }
          });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      select.addEventListener('change', render);
      render();
      el.setAttribute('data-shapes', String(gj.features.length));
    }).catch(function (e) { console.error('map data: ' + e); });
  }

  function initChart(el) {
    var uPlot = window.uPlot;
    fetch(el.dataset.src).then(function (r) { return r.json(); }).then(function (d) {
      var rs = d.realisations;
      if (!rs.length) return;
      var xs = rs.map(function (r) { return Date.parse(r.date) / 1000; });
      var ys = rs.map(function (r) { return r.places; });
      var task = Number(el.dataset.task);
      var opts = {
        width: Math.min(el.clientWidth || 600, 900), height: 280,
        series: [{}, { label: el.dataset.lRealised, stroke: '#01689b', width: 2, fill: 'rgba(1,104,155,0.12)' },
                 { label: el.dataset.lTask, stroke: '#8a1c1c', dash: [6, 4], width: 1.5 }],
        axes: [{}, { size: 60 }],
        scales: { y: { range: function () { return [0, Math.max(task, Math.max.apply(null, ys)) * 1.1 || 1]; } } }
      };
      new uPlot(opts, [xs, ys, xs.map(function () { return task; })], el);
    }).catch(function (e) { console.error('chart data: ' + e); });
  }

  var m = document.getElementById('map');
  if (m && window.L) initMap(m);
  var c = document.getElementById('chart');
  if (c && window.uPlot) initChart(c);
})();
