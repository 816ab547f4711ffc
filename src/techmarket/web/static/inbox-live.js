// Keeps the header's unread count, and the inbox list when it is shown, live while the
// page is open (server-sent events from /inbox/live). Without it the pages work as well.
(function () {
  "use strict";
  if (!window.EventSource) return;
  var source = new EventSource("/inbox/live");
  source.onmessage = function (event) {
    var message = JSON.parse(event.data);
    var badge = document.getElementById("inbox-badge");
    var count = document.getElementById("inbox-count");
    if (badge && count) {
      count.textContent = String(message.unread);
      badge.hidden = message.unread === 0;
    }
    var list = document.getElementById("inbox-list");
    if (!list || !message.new.length || location.search.indexOf("cursor=") !== -1) return;
    message.new.forEach(function (n) {
      if (document.getElementById("inbox-new-" + n.id)) return;
      var item = document.createElement("li");
      item.className = "inbox-item unread";
      item.id = "inbox-new-" + n.id;
      var head = document.createElement("p");
      head.className = "inbox-head";
      var mark = document.createElement("span");
      mark.className = "badge";
      mark.textContent = "未读";
      var link = document.createElement("a");
      link.href = n.link;
      link.textContent = n.title;
      head.append(mark, " ", link);
      var body = document.createElement("p");
      body.textContent = n.body;
      item.append(head, body);
      list.prepend(item);
    });
    var empty = document.getElementById("inbox-empty");
    if (empty) empty.remove();
    var status = document.getElementById("inbox-live-status");
    if (status) status.textContent = "收到 " + message.new.length + " 条新通知。";
  };
})();
