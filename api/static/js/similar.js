// The submission form: as the title is typed, show up to 5 earlier proposals that look alike
// (GET /proposals/similar?title=...), this year and past years.
(function () {
  var box = document.getElementById('similar-box');
  var title = document.querySelector('input[name="title"]');
  if (!box || !title) { return; }
  var list = document.getElementById('similar-list');
  var timer = null, last = '';
  function show(items) {
    list.textContent = '';
    items.forEach(function (item) {
      var li = document.createElement('li');
      var text = (item.number ? item.number + ' ' : '') + item.title + '（' + item.year + ' 年，' + item.status_label +
        '，相似度 ' + Math.round(item.score * 100) + '%）';
      if (item.visible) {
        var a = document.createElement('a');
        a.href = box.dataset.proposalUrl.replace(/0$/, String(item.id));
        a.textContent = text;
        li.appendChild(a);
      } else {
        li.textContent = text;
      }
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }
  function lookUp() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 4) { show([]); return; }
    fetch(box.dataset.similarUrl + '?title=' + encodeURIComponent(text), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (data) { if (title.value.trim() === text) { show(data.items || []); } })
      .catch(function () { show([]); });
  }
  title.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(lookUp, 300); });
  lookUp();
}());
