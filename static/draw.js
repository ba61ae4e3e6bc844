// Drawing a shape on a map (an alert's preview map, or the scheme proposal form's): each click
// adds a corner; "Use the drawn shape" puts the corners (as grid coordinates) in the form, and on
// the compose page previews again. Without script, people paste GeoJSON instead.
(function () {
  var map = document.querySelector(".map svg[data-scale]");
  var start = document.getElementById("draw-start");
  var field = document.querySelector("input[name=polygon_grid]");
  if (!map || !start || !field) return;
  var minE = parseFloat(map.getAttribute("data-min-e"));
  var maxN = parseFloat(map.getAttribute("data-max-n"));
  var scale = parseFloat(map.getAttribute("data-scale"));
  var corners = [];
  var line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#d4351c");
  line.setAttribute("stroke-width", "3");
  var drawing = false;
  var help = document.getElementById("draw-help");
  start.hidden = false;
  start.addEventListener("click", function () {
    drawing = true;
    corners = [];
    line.setAttribute("points", "");
    map.appendChild(line);
    map.style.cursor = "crosshair";
    if (help) help.textContent = "Click the map to add corners, then press “Use the drawn shape”.";
    document.getElementById("draw-finish").hidden = false;
  });
  map.addEventListener("click", function (event) {
    if (!drawing) return;
    var point = map.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var local = point.matrixTransform(map.getScreenCTM().inverse());
    corners.push([local.x, local.y]);
    line.setAttribute("points", corners.map(function (c) { return c[0] + "," + c[1]; }).join(" "));
  });
  var finish = document.getElementById("draw-finish");
  finish.addEventListener("click", function () {
    field.value = corners
      .map(function (c) { return (minE + c[0] / scale).toFixed(0) + "," + (maxN - c[1] / scale).toFixed(0); })
      .join(";");
    // Where the button only keeps the shape (the scheme proposal form), say so.
    if (finish.type === "button" && help) {
      help.textContent = "The shape with " + corners.length + " corners is kept: it is sent with the form.";
    }
  });
})();
