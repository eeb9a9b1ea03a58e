/* Frames the donation widget right after this script tag and keeps the frame as tall as its page.
   <script src="https://donate.example/embed.js" data-variant="slider|quick" data-currency="EUR" data-lang="de" async></script> */
(function () {
  "use strict";
  var MARK = "data-donate-embedded";

  function ownTag() {
    var current = document.currentScript;
    if (current && !current.hasAttribute(MARK)) return current;
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      var path = scripts[i].src.split(/[?#]/)[0];
      if (!scripts[i].hasAttribute(MARK) && /\/embed\.js$/.test(path)) return scripts[i];
    }
    return null;
  }

  var tag = ownTag();
  if (!tag) return;
  tag.setAttribute(MARK, "");

  var serviceUrl = new URL(tag.src, location.href);
  var query = new URLSearchParams();
  ["variant", "currency"].forEach(function (name) {
    var value = tag.getAttribute("data-" + name);
    if (value) query.set(name, value);
  });
  // The widget speaks the tag's data-lang, else the article's own language, else the browser's.
  var lang = tag.getAttribute("data-lang") || document.documentElement.lang;
  if (lang) query.set("lang", lang.slice(0, 35));
  var page = location.href.split("#")[0];
  if (/^https?:$/.test(location.protocol) && page.length <= 2048) query.set("source", page);

  var frame = document.createElement("iframe");
  frame.src = new URL("widget?" + query, serviceUrl).href;
  frame.title = "Donate to support our journalism";
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = "border:0;width:100%;display:block;overflow:hidden;height:420px";

  function place() {
    var parent = tag.parentNode;
    if (parent && parent !== document.head) parent.insertBefore(frame, tag.nextSibling);
    else document.body.appendChild(frame);
  }
  if (tag.parentNode === document.head && !document.body) {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== serviceUrl.origin || event.source !== frame.contentWindow) return;
    if (!data || data.type !== "donate:resize") return;
    if (typeof data.title === "string" && data.title.length <= 200) frame.title = data.title;
    var height = data.height;
    if (typeof height === "number" && isFinite(height) && height >= 50 && height <= 5000) {
      frame.style.height = Math.ceil(height) + "px";
    }
  });
})();
