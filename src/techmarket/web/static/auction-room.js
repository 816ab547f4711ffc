// The live auction room (and a listing waiting to convert): the page is drawn by the
// server; this keeps it live over /ws/trades/{id}. The session cookie signs the socket
// in (same origin), so no token is ever visible to script.
// - The countdown runs on the server's clock: the offset comes from the time the server
//   drew the page and each bid's receipt time, and the remaining time never goes back up
//   unless the end moved (已延时).
// - Every event has a seq: rows are merged by seq, each shown once, whatever the order
//   resumed and live events arrive in.
// - A dropped socket reconnects with back-off, resumes from the last seq seen, and the
//   price is marked as not live meanwhile.
"use strict";

(() => {
  const dataNode = document.getElementById("room-data");
  if (!dataNode) return;
  const room = JSON.parse(dataNode.textContent);
  const $ = (id) => document.getElementById(id);

  const yuan = (fen) => {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
  };
  const beijing = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const beijingTime = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const format = (formatter, iso) => formatter.format(new Date(iso)).replace(/\//g, "-");

  // The server's clock: its time at a local monotonic instant, moved only forward.
  const clock = { server: Date.parse(room.server_now), local: performance.now() };
  const serverNow = () => clock.server + (performance.now() - clock.local);
  const sawServerTime = (iso) => {
    const at = Date.parse(iso);
    if (at > serverNow()) Object.assign(clock, { server: at, local: performance.now() });
  };

  const state = {
    seq: room.seq,
    price: room.price_fen ?? null,
    leader: room.leader_alias ?? null,
    endsAt: room.ends_at,
    closed: room.status !== "open" && room.status !== "listed",
    live: false,
    shownLeft: Infinity,
    seen: new Set(room.bid_seqs || []),
    pending: null, // the bid awaiting its ack: resent with the same request_id on reconnect
    confirmed: false,
  };

  // ---- drawing ----
  const pad = (n) => String(n).padStart(2, "0");
  function drawCountdown() {
    const counter = $("countdown");
    if (!counter || state.closed) return;
    let left = Math.max(0, Math.floor((Date.parse(state.endsAt) - serverNow()) / 1000));
    left = Math.min(left, state.shownLeft); // never runs backwards
    state.shownLeft = left;
    if (left === 0) {
      counter.textContent = "即将结束，等待结果…";
      return;
    }
    const days = Math.floor(left / 86400);
    const hms = [Math.floor(left / 3600) % 24, Math.floor(left / 60) % 60, left % 60].map(pad).join(":");
    counter.textContent = days ? `${days} 天 ${hms}` : hms;
  }

  function setConnection(text, kind) {
    const node = $("connection");
    if (!node) return;
    node.textContent = text;
    node.dataset.state = kind;
    document.body.classList.toggle("room-stale", kind === "reconnecting");
    // Without a live socket a bid still goes: the form posts it to the page (same engine).
    const ended = kind === "closed" || kind === "stopped";
    const submit = $("bid-submit");
    if (submit) submit.disabled = ended;
    for (const button of document.querySelectorAll("[data-amount]")) button.disabled = ended;
  }

  function drawStanding() {
    if ($("price")) $("price").textContent = state.price === null ? "暂无出价" : yuan(state.price);
    if ($("leader")) $("leader").textContent = state.leader || "—";
    const you = $("you");
    if (you && room.alias) {
      const standing = state.leader === room.alias ? "，您领先" : state.leader ? "，您已被超越" : "";
      you.textContent = `您的竞买号：${room.alias}${standing}`;
    }
    // The next valid amounts, from the price now.
    const buttons = document.querySelectorAll("[data-amount]");
    const minimum = nextMinimum();
    const hint = $("f-amount-hint");
    if (hint) {
      hint.textContent = `最低 ${yuan(minimum)}；须为起拍价 ${yuan(room.start_price_fen)} 加整数倍的加价幅度 ${yuan(room.increment_fen)}。`;
    }
    buttons.forEach((button, k) => {
      const amount = minimum + k * room.increment_fen;
      button.dataset.amount = String(amount);
      button.value = `${Math.floor(amount / 100)}.${pad(amount % 100)}`;
      button.textContent = `出价 ${yuan(amount)}`;
    });
  }

  function drawEnd(extended) {
    const endsAt = $("ends-at");
    if (endsAt) endsAt.innerHTML = `<time datetime="${state.endsAt}">${format(beijing, state.endsAt)}</time>`;
    if (extended && $("extended")) $("extended").hidden = false;
  }

  function addBid(msg) {
    if (state.seen.has(msg.seq)) return;
    state.seen.add(msg.seq);
    const body = $("bids");
    if (!body) return;
    const row = document.createElement("tr");
    row.dataset.seq = String(msg.seq);
    const cells = [msg.bidder_alias, yuan(msg.amount_fen), null, null];
    cells.forEach((text, i) => {
      const cell = document.createElement("td");
      if (i === 1) cell.className = "num";
      if (i === 2) {
        const time = document.createElement("time");
        time.dateTime = msg.at;
        time.textContent = format(beijingTime, msg.at);
        cell.append(time);
      } else if (i === 3) {
        const link = document.createElement("a");
        link.href = `/ledger/entries/${msg.ledger_index}`;
        link.textContent = `#${msg.ledger_index}`;
        cell.append(link);
      } else {
        cell.textContent = text;
      }
      row.append(cell);
    });
    // Newest first: before the first row with a lower seq.
    const later = [...body.rows].find((r) => Number(r.dataset.seq) < msg.seq);
    body.insertBefore(row, later || null);
    if ($("no-bids")) $("no-bids").hidden = true;
  }

  function announce(text) {
    const node = $("announcer");
    if (node) node.textContent = text;
  }

  // ---- events ----
  function onEvent(msg) {
    if (msg.type === "bid") {
      sawServerTime(msg.at);
      const fresh = !state.seen.has(msg.seq);
      addBid(msg);
      if (msg.seq > state.seq) {
        state.seq = msg.seq;
        state.price = msg.amount_fen;
        state.leader = msg.bidder_alias;
        drawStanding();
        if (fresh) announce(`新出价：竞买号 ${msg.bidder_alias} 出价 ${yuan(msg.amount_fen)}`);
      }
    } else if (msg.type === "extended") {
      if (msg.seq > state.seq) state.seq = msg.seq;
      if (Date.parse(msg.ends_at) > Date.parse(state.endsAt)) {
        state.endsAt = msg.ends_at;
        state.shownLeft = Infinity; // the end moved: the count may go up, once
        drawEnd(true);
        announce(`已延时，新的结束时间 ${format(beijing, msg.ends_at)}`);
      }
    } else if (msg.type === "closed") {
      state.seq = Math.max(state.seq, msg.seq);
      close(msg);
    } else if (msg.type === "converted") {
      const banner = $("converted");
      if (banner) banner.hidden = false;
    } else if (msg.type === "withdrawn") {
      // No more registrations or bids: say so, and take their forms away.
      state.seq = Math.max(state.seq, msg.seq);
      $("withdrawn").hidden = false;
      for (const form of document.querySelectorAll("form[data-while-open]")) form.hidden = true;
      announce("卖方已撤回本交易");
    }
  }

  async function checkReserve(reserveFen, salt) {
    const out = $("reserve-check");
    if (!out || salt == null) return;
    const bytes = new TextEncoder().encode(`${reserveFen}:${salt}`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    out.textContent = hex === room.reserve_commitment
      ? `保留价校验通过：SHA-256(“${reserveFen}:盐值”) 与开拍时记入账本的承诺值一致。`
      : `保留价校验失败：计算得到 ${hex}，与承诺值 ${room.reserve_commitment} 不一致。`;
    out.dataset.result = hex === room.reserve_commitment ? "pass" : "fail";
  }

  async function close(msg) {
    state.closed = true;
    setConnection("竞价已结束。", "closed");
    const sold = msg.result === "sold";
    $("countdown").textContent = "已结束";
    $("outcome").textContent = sold ? "成交" : "流拍";
    $("final-price").textContent = sold ? yuan(msg.final_price_fen) : "—";
    $("winner").textContent = sold ? msg.winner_alias : "—";
    if (msg.ledger_index != null) {
      $("close-entry").href = `/ledger/entries/${msg.ledger_index}`;
      $("close-entry").querySelector("span").textContent = String(msg.ledger_index);
      $("close-receipt").href = `/api/v1/ledger/receipts/${msg.ledger_index}`;
      $("close-record").hidden = false;
    }
    const form = $("bid-form");
    if (form) form.hidden = true;
    $("result").hidden = false;
    if (room.alias) {
      $("you").textContent = sold && msg.winner_alias === room.alias
        ? `您的竞买号：${room.alias}，您是买受人` : `您的竞买号：${room.alias}，未成交，保证金将退还`;
    }
    announce(sold ? `竞价结束：成交，成交价 ${yuan(msg.final_price_fen)}` : "竞价结束：流拍");
    // The reveal is on the trade (public once closed): read it and check it here.
    try {
      const response = await fetch(`/api/v1/trades/${room.trade_id}`, { credentials: "same-origin" });
      const trade = await response.json();
      $("reserve").textContent = yuan(trade.reserve_fen) + (trade.reserve_fen ? "" : "（未设保留价）");
      $("salt").textContent = trade.reserve_salt;
      await checkReserve(trade.reserve_fen, trade.reserve_salt);
    } catch (error) {
      $("reserve-check").textContent = "无法读取揭晓的保留价，请刷新页面。";
    }
  }

  // ---- the socket ----
  let socket = null;
  let attempt = 0;
  let stopped = false;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws/trades/${room.trade_id}`);
    window.auctionSocket = socket; // for people (and tests) who want to look at it
    let resumedFrom = state.seq;
    socket.addEventListener("message", (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "snapshot") {
        attempt = 0;
        if (room.listing) {
          if (msg.trade.status !== "listed") $("converted").hidden = false;
          setConnection("", "live");
          return;
        }
        if (msg.seq > resumedFrom) socket.send(JSON.stringify({ type: "resume", after_seq: resumedFrom }));
        // The snapshot is the standing as of its seq; events after it come live.
        if (msg.seq >= state.seq) {
          state.seq = msg.seq;
          state.price = msg.current_price_fen;
          state.leader = msg.leader_alias;
          if (Date.parse(msg.ends_at) > Date.parse(state.endsAt)) {
            state.endsAt = msg.ends_at;
            state.shownLeft = Infinity;
            drawEnd(Date.parse(msg.ends_at) > Date.parse(room.scheduled_end));
          }
        }
        drawStanding();
        if (msg.trade.status !== "open") {
          close({ result: msg.trade.status === "sold" ? "sold" : "unsold",
            final_price_fen: msg.current_price_fen, winner_alias: msg.leader_alias,
            ledger_index: null });
          return;
        }
        setConnection("实时连接中：新的出价会自动显示。", "live");
        if (state.pending) socket.send(JSON.stringify(state.pending));
      } else if (msg.type === "ack") {
        if (state.pending && msg.request_id === state.pending.request_id) state.pending = null;
        bidStatus(`出价已被接受，已记入账本第 ${msg.ledger_index} 条。`, msg.ledger_index);
      } else if (msg.type === "error") {
        if (state.pending && msg.request_id === state.pending.request_id) state.pending = null;
        if (msg.request_id != null) bidStatus(refusal(msg.code));
      } else {
        onEvent(msg);
      }
    });
    socket.addEventListener("close", (event) => {
      if (state.closed && !room.listing) return;
      if ([4401, 4403, 4404].includes(event.code)) {
        stopped = true;
        setConnection(event.code === 4401 ? "登录已失效，请重新登录后刷新页面。" : "无法继续观看这场竞价。", "stopped");
        return;
      }
      if (stopped) return;
      setConnection("连接已断开，重新连接中… 显示的价格可能不是最新的。", "reconnecting");
      const delay = Math.min(10000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt += 1;
      setTimeout(connect, delay);
    });
  }

  // ---- bidding ----
  function nextMinimum() {
    return state.price === null ? room.start_price_fen : state.price + room.increment_fen;
  }

  function refusal(code) {
    const template = (room.refusals && room.refusals[code]) || "出价未被接受。";
    return template
      .replace("{minimum}", yuan(nextMinimum()))
      .replace("{start}", yuan(room.start_price_fen))
      .replace("{increment}", yuan(room.increment_fen));
  }

  function bidStatus(text, ledgerIndex) {
    const out = $("bid-status");
    if (!out) return;
    out.textContent = text;
    if (ledgerIndex != null) {
      const link = document.createElement("a");
      link.href = `/ledger/entries/${ledgerIndex}`;
      link.textContent = "查看记录";
      out.append(" ", link);
    }
  }

  // Yuan as typed ("12,000.50", "¥12000") to fen; null if it is not an amount.
  function fenOf(text) {
    const cleaned = (text || "").trim().replace(/[,，\s]/g, "").replace(/^[¥￥]/, "");
    const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
  }

  function send(amount, maximum) {
    state.pending = {
      type: "bid",
      request_id: crypto.randomUUID(),
      amount_fen: amount,
      ...(maximum ? { max_amount_fen: maximum } : {}),
    };
    bidStatus("出价已提交，等待确认…");
    socket.send(JSON.stringify(state.pending));
  }

  const form = $("bid-form");
  if (form && room.alias) {
    form.addEventListener("submit", (event) => {
      if (!socket || socket.readyState !== WebSocket.OPEN || state.closed) return; // the form posts
      event.preventDefault();
      const quick = event.submitter && event.submitter.dataset.amount;
      const amount = quick ? Number(quick) : fenOf($("f-amount").value);
      const maxText = $("f-max_amount").value;
      const maximum = maxText ? fenOf(maxText) : null;
      if (amount === null || (maxText && maximum === null)) {
        bidStatus("请填写金额（元），最多两位小数，例如 12000 或 12000.50。");
        return;
      }
      const jump = Math.floor((amount - nextMinimum()) / room.increment_fen);
      if (jump >= room.large_jump) {
        $("confirm-jump-text").textContent =
          `您的出价 ${yuan(amount)} 比最低可出价 ${yuan(nextMinimum())} 高出 ${jump} 个加价幅度。出价不可撤回，确认出价吗？`;
        $("confirm-jump").hidden = false;
        $("confirm-yes").focus();
        $("confirm-yes").onclick = () => {
          $("confirm-jump").hidden = true;
          send(amount, maximum);
        };
        $("confirm-no").onclick = () => {
          $("confirm-jump").hidden = true;
          $("f-amount").focus();
        };
        return;
      }
      send(amount, maximum);
    });
  }

  drawCountdown();
  setInterval(drawCountdown, 250);
  if (room.listing ? room.status === "listed" : !state.closed) {
    setConnection("正在连接…", "connecting"); // the drawn price is not live until the snapshot
    connect();
  }
  else checkReserve(room.reserve_fen, room.reserve_salt);
})();
