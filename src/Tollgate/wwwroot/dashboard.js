// The dashboard's few browser calls: the viewer's time zone, and copying a new key's secret.
window.tollgate = {
  timeZone: function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  },
  copy: async function (text) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { return false; }
  }
};
