// Repeated groups: "添加一组" clones the row template with the next index.
document.querySelectorAll('.group').forEach(function (group) {
  var button = group.querySelector('.add-row');
  var template = group.querySelector('template');
  if (!button || !template) return;
  button.addEventListener('click', function () {
    var index = group.querySelectorAll('.group-row').length;
    var row = document.createElement('fieldset');
    row.className = 'group-row';
    var legend = document.createElement('legend');
    legend.textContent = '第 ' + (index + 1) + ' 组';
    row.appendChild(legend);
    var html = template.innerHTML.split('-__i__-').join('-' + index + '-');
    var holder = document.createElement('div');
    holder.innerHTML = html;  // the template was rendered and escaped by the server
    while (holder.firstChild) row.appendChild(holder.firstChild);
    group.insertBefore(row, button);
  });
});

// File pickers: a Chinese button and the chosen names instead of the browser's own wording.
document.querySelectorAll('.file-pick input[type=file]').forEach(function (input) {
  var names = input.parentNode.querySelector('.file-names');
  input.addEventListener('change', function () {
    var list = Array.prototype.map.call(input.files, function (f) { return f.name; });
    names.textContent = list.length ? list.join('、') : '未选择文件';
  });
});
