// The plan import preview: small helpers for the htmx-driven edits. Kept in a static file, since the
// Content-Security-Policy forbids inline scripts.
(function () {
  // A unit either leads or assists: ticking one box of a row clears the other.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches(".unit-picker input[type=checkbox]") || !box.checked) return;
    var row = box.closest("tr");
    var peer = row && row.querySelector('input[name="' + (box.name === "lead" ? "assist" : "lead") + '"]');
    if (peer) peer.checked = false;
  });

  // Filter the unit table of an obligation form by name (checked units stay submitted when hidden).
  document.addEventListener("input", function (e) {
    var field = e.target;
    if (!field.matches || !field.matches(".unit-filter")) return;
    var form = field.closest("form");
    var needle = field.value.trim();
    form.querySelectorAll(".unit-picker tbody tr[data-name]").forEach(function (row) {
      row.hidden = needle !== "" && row.dataset.name.indexOf(needle) < 0;
    });
  });
  // Enter in the filter box filters; it must not submit the form.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches(".unit-filter")) e.preventDefault();
  });

  function showAlert(text) {
    var box = document.getElementById("draft-alerts");
    if (!box) return;
    box.textContent = "";
    var div = document.createElement("div");
    div.className = "alert alert-danger";
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.appendChild(div);
    box.scrollIntoView({ block: "nearest" });
  }

  // A refused request (403, 404, 500) would otherwise change nothing on the page, silently.
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (status === 403) showAlert("无权执行此操作。");
    else if (status === 404) showAlert("该条目或工作事项已不存在，请刷新页面。");
    else showAlert("操作失败（" + status + "），请刷新页面后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    showAlert("网络连接失败，修改未保存，请检查网络后重试。");
  });

  // Forms also carry their own copy of the draft's version (for use without htmx): keep it current.
  document.addEventListener("htmx:afterSettle", function () {
    var current = document.getElementById("draft-version");
    if (!current) return;
    document.querySelectorAll('input[name="form_version"]').forEach(function (input) {
      input.value = current.value;
    });
  });
})();
