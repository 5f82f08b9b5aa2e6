// The dashboard's few browser calls: the viewer's time zone, and copying a new key's secret.
window.tollgate = {
  timeZone: function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  },
  copy: async function (text) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { return false; }
  }
};
// Saves text as a file (the audit log's CSV export).
window.tollgate.download = function (name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type: type || "text/plain" }));
  const a = document.createElement("a");
  a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
};
// Saves bytes as a file (invoices and credit notes: the PDF the API serves).
window.tollgate.downloadBytes = function (name, bytes, type) {
  window.tollgate.saveBlob(name, new Blob([bytes], { type: type || "application/octet-stream" }));
};
window.tollgate.saveBlob = function (name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
};
