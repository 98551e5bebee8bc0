// Resumable upload of large mail files through the upload API (/api/v1/…/uploads).
// Chunks of data-chunk bytes are PUT at their offset; after a network error the client
// asks the server how much it has (GET .received) and continues from there. The upload id
// is remembered per file in localStorage, so choosing the same file after a reload resumes.
(function () {
  "use strict";
  var MAX_ATTEMPTS = 60;

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function Uploader(form) {
    this.form = form;
    this.customer = form.dataset.customer;
    this.csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    this.text = form.querySelector("[data-i18n]").dataset;
    this.list = form.querySelector("[data-upload-list]");
    this.template = form.querySelector("template[data-upload-row]");
  }

  Uploader.prototype.api = function (method, url, body, type) {
    var headers = {"X-CSRFToken": this.csrf, "Accept": "application/json"};
    if (type) headers["Content-Type"] = type;
    return fetch(url, {method: method, headers: headers, body: body, credentials: "same-origin"}).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var err = new Error((data && (data.detail || data.title)) || ("HTTP " + resp.status));
          err.status = resp.status;
          throw err;
        }
        return data;
      });
    });
  };

  Uploader.prototype.row = function (file) {
    var li = this.template.content.firstElementChild.cloneNode(true);
    li.querySelector("[data-name]").textContent = file.name;
    li.querySelector("[data-size]").textContent = formatSize(file.size);
    this.list.appendChild(li);
    return {
      el: li,
      progress: function (done, total) {
        var pct = total ? Math.floor(done * 100 / total) : 100;
        li.querySelector("progress").value = pct;
        li.querySelector("[data-pct]").textContent = pct + " %";
      },
      state: function (text) { li.querySelector("[data-state]").textContent = text; }
    };
  };

  Uploader.prototype.start = function (file, mailbox, row) {
    var self = this;
    var key = ["kustos-upload", self.customer, mailbox, file.name, file.size, file.lastModified].join(":");
    var known = window.localStorage ? localStorage.getItem(key) : null;
    var create = function () {
      return self.api("POST", "/api/v1/customers/" + encodeURIComponent(self.customer) + "/uploads",
        JSON.stringify({filename: file.name, size: file.size, mailbox: mailbox}), "application/json")
        .then(function (up) { if (window.localStorage) localStorage.setItem(key, up.id); return up; });
    };
    var begin = known ? self.api("GET", "/api/v1/uploads/" + encodeURIComponent(known)).then(function (up) {
      row.state(self.text.resuming);
      return up;
    }, create) : create();
    return begin.then(function (up) {
      if (up.state === "complete" && up.job) return {id: up.job};
      return self.send(file, up, row).then(function () {
        return self.api("POST", "/api/v1/uploads/" + encodeURIComponent(up.id) + "/complete");
      });
    }).then(function (job) {
      if (window.localStorage) localStorage.removeItem(key);
      return job;
    });
  };

  Uploader.prototype.send = function (file, up, row) {
    var self = this;
    var offset = up.received || 0;
    var attempts = 0;
    var chunk = parseInt(self.form.dataset.chunk, 10) || 8 * 1024 * 1024;
    row.progress(offset, file.size);
    function next() {
      if (offset >= file.size) return Promise.resolve();
      row.state(self.text.uploading);
      var end = Math.min(offset + chunk, file.size);
      var url = "/api/v1/uploads/" + encodeURIComponent(up.id) + "?offset=" + offset;
      return self.api("PUT", url, file.slice(offset, end), "application/octet-stream").then(function (state) {
        offset = state.received;
        attempts = 0;
        row.progress(offset, file.size);
        return next();
      }, function (err) {
        attempts += 1;
        // Lost access or a vanished upload cannot be fixed by retrying; anything else
        // (network error, server error, an offset mismatch answered 4xx) resyncs and retries.
        if (attempts > MAX_ATTEMPTS || [401, 403, 404, 413].indexOf(err.status) >= 0) {
          throw err;
        }
        row.state(self.text.retrying);
        // Back off, then ask the server where the file ends and continue from there.
        return sleep(Math.min(30000, 500 * Math.pow(2, Math.min(attempts, 6)))).then(function () {
          return self.api("GET", "/api/v1/uploads/" + encodeURIComponent(up.id));
        }).then(function (state) {
          offset = state.received;
          row.progress(offset, file.size);
          return next();
        }, function () { return next(); });
      });
    }
    return next();
  };

  function formatSize(n) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  }

  function bind(form) {
    var up = new Uploader(form);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var mailbox = form.querySelector("input[name=mailbox]").value.trim();
      var files = Array.prototype.slice.call(form.querySelector("input[type=file]").files);
      var button = form.querySelector("button[type=submit]");
      if (!mailbox || !files.length) return;
      button.disabled = true;
      files.reduce(function (chain, file) {
        return chain.then(function () {
          var row = up.row(file);
          return up.start(file, mailbox, row).then(function (job) {
            row.progress(1, 1);
            row.el.classList.add("done");
            row.state(up.text.done + " ");
            var link = document.createElement("a");
            link.href = "/jobs/" + encodeURIComponent(job.id) + "/";
            link.textContent = up.text.job;
            link.setAttribute("data-testid", "upload-job-link");
            row.el.querySelector("[data-state]").appendChild(link);
          }, function (err) {
            row.el.classList.add("failed");
            row.state(up.text.failed + " " + err.message);
          });
        });
      }, Promise.resolve()).then(function () { button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(bind);
  });
})();
