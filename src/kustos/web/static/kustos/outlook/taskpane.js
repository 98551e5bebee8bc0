/* Kustos Outlook add-in task pane: sign in with an API token, search the user's archive, show a
   message (sanitised by Kustos, shown in a sandboxed frame without scripts) and restore it into the
   mailbox open in Outlook (Office.context.mailbox.userProfile.emailAddress). No external library. */
(function () {
  "use strict";
  var TOKEN_KEY = "kustos.outlook.token";
  var pane = document.getElementById("pane");
  var api = pane.dataset.api;
  var state = { token: "", me: null, current: null, mailbox: "" };

  function $(id) { return document.getElementById(id); }
  function t(name) { return pane.dataset["t" + name] || ""; }
  function show(id, on) { $(id).hidden = !on; }

  function status(text, kind) {
    var el = $("status");
    el.textContent = text || "";
    el.className = "status" + (kind ? " " + kind : "");
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function call(method, path, body) {
    var headers = { "Authorization": "Bearer " + state.token, "Accept": "application/json" };
    var init = { method: method, headers: headers, credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(api + path, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var detail = (data && (data.detail || data.title)) || resp.statusText;
          var err = new Error(t("Error") + " " + resp.status + ": " + detail);
          err.status = resp.status;
          throw err;
        }
        return data;
      });
    });
  }

  function signedOut(message) {
    state.token = "";
    state.me = null;
    var s = storage();
    if (s) { s.removeItem(TOKEN_KEY); }
    show("signin", true); show("search", false); show("message", false); show("signout", false);
    $("who").textContent = "";
    status(message || "", message ? "error" : "");
  }

  function signIn(token) {
    state.token = token;
    return call("GET", "/me").then(function (me) {
      if (!me.customer) { signedOut(t("NoCustomer")); return; }
      state.me = me;
      var s = storage();
      if (s) { s.setItem(TOKEN_KEY, token); }
      $("who").textContent = t("SignedIn") + " " + me.email;
      show("signin", false); show("search", true); show("signout", true);
      status("");
      search("");
    }).catch(function (err) {
      signedOut(err.status === 401 ? t("BadToken") : err.message);
    });
  }

  function search(q) {
    var path = "/customers/" + encodeURIComponent(state.me.customer) + "/archive/search?limit=25&q=" +
      encodeURIComponent(q);
    status("");
    return call("GET", path).then(function (result) {
      var list = $("hits");
      list.textContent = "";
      $("count").textContent = result.total + " " + t("Results");
      if (!result.hits.length) { status(t("None")); }
      result.hits.forEach(function (hit) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("data-testid", "hit");
        b.dataset.id = hit.id;
        var subject = document.createElement("span");
        subject.className = "subject";
        subject.textContent = hit.subject || t("NoSubject");
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = (hit.from || "") + " · " + (hit.date || "").slice(0, 10);
        b.appendChild(subject); b.appendChild(meta);
        b.addEventListener("click", function () { open(hit.id); });
        li.appendChild(b);
        list.appendChild(li);
      });
      show("message", false); show("search", true);
    }).catch(function (err) { status(err.message, "error"); });
  }

  function open(id) {
    status("");
    return call("GET", "/messages/" + encodeURIComponent(id) + "/view").then(function (view) {
      state.current = view;
      $("msg-subject").textContent = view.subject || t("NoSubject");
      var dl = $("msg-headers");
      dl.textContent = "";
      view.headers.forEach(function (pair) {
        if (pair[0] === "Subject") { return; }
        var dt = document.createElement("dt"); dt.textContent = t("H" + pair[0].replace("-", "")) || pair[0];
        var dd = document.createElement("dd"); dd.textContent = pair[1];
        dl.appendChild(dt); dl.appendChild(dd);
      });
      // Sanitised by Kustos; the frame is sandboxed (no scripts, opaque origin).
      $("msg-body").srcdoc = '<!doctype html><meta charset="utf-8"><style>body{font-family:sans-serif;' +
        'font-size:13px;margin:8px;word-wrap:break-word}img{max-width:100%}pre{white-space:pre-wrap}</style>' +
        view.html;
      $("msg-attachments").textContent = view.attachments.length ?
        t("Attachments") + ": " + view.attachments.map(function (a) { return a.name; }).join(", ") : "";
      $("restore").disabled = false;
      show("search", false); show("message", true);
    }).catch(function (err) { status(err.message, "error"); });
  }

  function poll(jobId, tries) {
    var path = "/customers/" + encodeURIComponent(state.me.customer) + "/archive/restore/" + encodeURIComponent(jobId);
    return call("GET", path).then(function (job) {
      if (job.state === "succeeded" || job.state === "done") {
        var r = job.result || {};
        status(t("Restored") + ": " + (r.restored || 0) + " · " + (r.skipped || 0) + " " + t("Skipped"), "ok");
      } else if (job.state === "failed") {
        status(t("Failed") + ": " + (job.error || ""), "error");
      } else if (tries > 0) {
        setTimeout(function () { poll(jobId, tries - 1); }, 1000);
      } else {
        status(t("Started"), "ok");
      }
    }).catch(function () { status(t("Started"), "ok"); });
  }

  function restore() {
    if (!state.current) { return; }
    var mailbox = state.mailbox;
    $("restore").disabled = true;
    status(t("Restoring") + " " + mailbox + " …");
    var path = "/customers/" + encodeURIComponent(state.me.customer) + "/archive/restore";
    return call("POST", path, { message_ids: [state.current.id], to_mailbox: mailbox }).then(function (job) {
      if (job && job.id) { poll(job.id, 30); } else { status(t("Started"), "ok"); }
    }).catch(function (err) {
      $("restore").disabled = false;
      status(t("Failed") + ": " + err.message, "error");
    });
  }

  function start() {
    var mailbox = window.Office && Office.context && Office.context.mailbox;
    state.mailbox = mailbox && mailbox.userProfile ? mailbox.userProfile.emailAddress : "";
    $("signin-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      signIn($("token").value.trim());
    });
    $("search-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      search($("q").value);
    });
    $("back").addEventListener("click", function () { show("message", false); show("search", true); status(""); });
    $("restore").addEventListener("click", restore);
    $("signout").addEventListener("click", function () { signedOut(""); });
    var s = storage();
    var saved = s ? s.getItem(TOKEN_KEY) : "";
    if (saved) { signIn(saved); } else { signedOut(""); }
  }

  if (window.Office && typeof Office.onReady === "function") {
    Office.onReady(function () { start(); });
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
}());
