function toggleAll(open){document.querySelectorAll('details.drill').forEach(function(d){d.open=open;});}
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);if(t&&t.tagName==='DETAILS'){t.open=true;t.scrollIntoView();}}
window.addEventListener('hashchange',openTarget);window.addEventListener('DOMContentLoaded',openTarget);
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
function showPath(){var data=document.getElementById('path-data');var view=document.getElementById('path-view');if(!data||!view)return;
var d=JSON.parse(data.textContent);var v=d.victims[+document.getElementById('path-victim').value];var picked=document.querySelector('input[name=path-method]:checked');var m=picked?picked.value:'fifo';
var grain='lot';d.methods.forEach(function(x){if(x.method===m)grain=x.grain;});var p=v.methods[m]||{moves:[],ends:[],moves_total:0,ends_total:0};
function esc(s){return String(s).replace(/[&<>"]/g,function(c){return{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function table(head,rows,num){return '<div class="scroll"><table><thead><tr>'+head.map(function(h){return '<th>'+h+'</th>';}).join('')+'</tr></thead><tbody>'+rows.map(function(r){return '<tr>'+r.map(function(c,i){return '<td'+(num.indexOf(i)>=0?' class="num"':'')+'>'+esc(c)+'</td>';}).join('')+'</tr>';}).join('')+'</tbody></table></div>';}
function cut(shown,total,where){return total>shown?'<p class="note">仅显示前 '+shown+' 行，共 '+total+' 行；其余见 '+where+'。 Showing the first '+shown+' of '+total+' rows; the rest are in '+where+'.</p>':'';}
var h='<p class="line">'+esc(v.id)+'：付款 paid '+esc(v.paid)+' · 返还 returned '+esc(v.returned)+' · 净损失 net loss '+esc(v.net_loss)+(v.traced?' · 冻结款分配 frozen allotted: traced '+esc(v.traced)+', pro_rata '+esc(v.pro_rata):'')+'</p>';
if(grain==='account'){h+='<p class="callout">'+esc(m)+' 按账户汇总追踪（资金池 pooled:victims）：收款卡之后，该被害人的资金与其他被害人的资金合为一个资金池，没有单独的逐跳路径；下表只列其付款进入收款卡（第 0 跳），以及在冻结账户中按比例还原到该被害人的金额。 Followed at account level: past the receiving card this victim\'s money is part of the pool pooled:victims, a share of every fen there, with no path of its own. Listed: the payments into the cards (hop 0) and what is resolved to this victim in frozen accounts.</p>'+(v.pool_share?'<p class="line">该被害人付款占全部被害人资金 share of all victims\' money paid in: '+esc(v.paid)+' / '+esc(v.pooled_in)+' = '+esc(v.pool_share)+'（资金池的终点不按被害人拆分 the pool\'s end points are not split per victim）</p>':'');}
h+='<h4>资金移动 <small>Moves (hop 0: the payment into the receiving card)</small></h4>'+cut(p.moves.length,p.moves_total,'traces.csv')+table(['跳数<small>hop</small>','转出账户<small>from</small>','转入账户<small>to</small>','时间<small>time</small>','金额<small>amount</small>','流水<small>posting</small>'],p.moves,[0,4]);
h+='<p class="note">移动合计 moves in total '+esc(p.moves_amount)+'</p>';
h+='<h4>最终去向 <small>Where it ended</small></h4>'+cut(p.ends.length,p.ends_total,'endpoints.csv')+table(['账户<small>account</small>','类型<small>kind</small>','金额<small>amount</small>'],p.ends.map(function(e){return [e[0],e[2]+' '+e[1],e[3]];}),[2]);
h+='<p class="note">去向合计 end points in total '+esc(p.ends_amount)+'</p>';
view.innerHTML=h;}
window.addEventListener('DOMContentLoaded',function(){var s=document.getElementById('path-victim');if(!s)return;s.addEventListener('change',showPath);document.querySelectorAll('input[name=path-method]').forEach(function(r){r.addEventListener('change',showPath);});showPath();});
