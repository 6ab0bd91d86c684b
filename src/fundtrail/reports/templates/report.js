function toggleAll(open){document.querySelectorAll('details.drill').forEach(function(d){d.open=open;});}
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);if(t&&t.tagName==='DETAILS'){t.open=true;t.scrollIntoView();}}
window.addEventListener('hashchange',openTarget);window.addEventListener('DOMContentLoaded',openTarget);
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
