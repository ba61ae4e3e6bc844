// Map tiles beneath the staff pages' maps, where the deployment configures a tile server
// (`[map] tile_url`): a progressive enhancement. The map is an SVG on the British National Grid;
// the tiles are Web Mercator. The server gives the latitude and longitude of the map's north-west,
// north-east and south-west corners, and the tiles are laid out in Mercator pixels and mapped
// onto the SVG by the affine transform that fits those three corners (over a county, the grid
// and Mercator differ by little more than a rotation). Without script, or without a tile
// server, the map is drawn as it is: districts and towns on plain ground.
(function () {
  var urlMeta = document.querySelector("meta[name=beacon-map-tiles]");
  if (!urlMeta) return;
  var template = urlMeta.getAttribute("content");
  var creditMeta = document.querySelector("meta[name=beacon-map-attribution]");
  var credit = creditMeta ? creditMeta.getAttribute("content") : "";
  var TILE = 256;

  function corner(svg, name) {
    var parts = (svg.getAttribute(name) || "").split(" ").map(parseFloat);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? parts : null;
  }

  // Mercator pixels at zoom z of a latitude and longitude.
  function mercator(latLon, z) {
    var size = TILE * Math.pow(2, z);
    var lat = (latLon[0] * Math.PI) / 180;
    return [
      ((latLon[1] + 180) / 360) * size,
      ((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * size,
    ];
  }

  function lay(svg) {
    var nw = corner(svg, "data-nw"), ne = corner(svg, "data-ne"), sw = corner(svg, "data-sw");
    var scale = parseFloat(svg.getAttribute("data-scale"));
    var width = parseFloat(svg.getAttribute("width"));
    var height = parseFloat(svg.getAttribute("height"));
    if (!nw || !ne || !sw || !(scale > 0) || !(width > 0) || !(height > 0)) return;

    // The zoom whose pixels are nearest the map's own (metres per pixel at this latitude).
    var metresPerPixel = 1 / scale;
    var z = Math.round(
      Math.log((156543.03 * Math.cos((nw[0] * Math.PI) / 180)) / metresPerPixel) / Math.LN2
    );
    z = Math.max(0, Math.min(18, z));
    var p0 = mercator(nw, z), p1 = mercator(ne, z), p2 = mercator(sw, z);
    var a = p1[0] - p0[0], b = p1[1] - p0[1], c = p2[0] - p0[0], d = p2[1] - p0[1];
    var det = a * d - b * c;
    if (!det) return;

    // The frame holds the SVG and, beneath it, the tiles; it clips them to the map.
    var frame = document.createElement("div");
    frame.className = "map-frame";
    svg.parentNode.insertBefore(frame, svg);
    var layer = document.createElement("div");
    layer.className = "map-tiles";
    layer.setAttribute("aria-hidden", "true");
    frame.appendChild(layer);
    frame.appendChild(svg);

    var xs = [p0[0], p1[0], p2[0], p1[0] + p2[0] - p0[0]];
    var ys = [p0[1], p1[1], p2[1], p1[1] + p2[1] - p0[1]];
    var count = Math.pow(2, z);
    var fromX = Math.floor(Math.min.apply(null, xs) / TILE), toX = Math.floor(Math.max.apply(null, xs) / TILE);
    var fromY = Math.floor(Math.min.apply(null, ys) / TILE), toY = Math.floor(Math.max.apply(null, ys) / TILE);
    if ((toX - fromX + 1) * (toY - fromY + 1) > 64) return;
    for (var ty = fromY; ty <= toY; ty++) {
      for (var tx = fromX; tx <= toX; tx++) {
        if (ty < 0 || ty >= count) continue;
        var img = document.createElement("img");
        img.alt = "";
        img.width = TILE;
        img.height = TILE;
        img.style.left = tx * TILE - p0[0] + "px";
        img.style.top = ty * TILE - p0[1] + "px";
        img.src = template
          .replace("{z}", z)
          .replace("{x}", ((tx % count) + count) % count)
          .replace("{y}", ty);
        layer.appendChild(img);
      }
    }

    // Mercator offsets from the north-west corner to the SVG's pixels, scaled to its size now.
    function place() {
      var shown = svg.getBoundingClientRect().width / width || 1;
      var w = width * shown, h = height * shown;
      var m = [(w * d) / det, (-h * b) / det, (-w * c) / det, (h * a) / det];
      layer.style.transform = "matrix(" + m.join(",") + ",0,0)";
    }
    place();
    window.addEventListener("resize", place);

    var ground = svg.querySelector(".map-background");
    if (ground) ground.setAttribute("fill-opacity", "0.35");
    if (credit) {
      var note = document.createElement("p");
      note.className = "map-attribution small";
      note.textContent = "Map tiles: " + credit;
      frame.parentNode.insertBefore(note, frame.nextSibling);
    }
  }

  var maps = document.querySelectorAll(".map svg[data-nw]");
  for (var i = 0; i < maps.length; i++) lay(maps[i]);
})();
