# results/heat-table1/fig_table1.{png,svg,pdf} from table1.csv and paper.csv (run.sh runs it).
set datafile separator ','
set datafile missing ''
set key inside right top vertical maxrows 7 box opaque font ',9' width -3 samplen 2
set grid
set logscale y
set xlabel 'parameters (M, embeddings included)'
set ylabel 'EDP reduction over dense (x)'
set xrange [0:115]
set yrange [0.3:40]
ttm = '#1f77b4'; tucker = '#ff7f0e'; cp = '#2ca02c'
sel(m, f, k) = (strcol(1) eq m && strcol(2) eq f && strcol(3) eq k) ? $15 : NaN
ppr(f) = (strcol(1) eq f) ? $6 : NaN
panel(m) = sprintf("%s, seq 384, on simba-l (analytical model;\nsynthetic weights, eps-budgeted HEAT objective)", m)
do for [out in "pngcairo svg pdfcairo"] {
  if (out eq "pngcairo") { set terminal pngcairo size 1500,700 font ',10'; set output 'fig_table1.png' }
  if (out eq "svg") { set terminal svg size 1500,700 font ',10' dynamic; set output 'fig_table1.svg' }
  if (out eq "pdfcairo") { set terminal pdfcairo size 15in,7in font ',10'; set output 'fig_table1.pdf' }
  set multiplot layout 1,2 title "HEAT Table 1 reproduced with heat: EDP reduction vs parameters (dense = 1x)"
  do for [m in "bert-base distilbert"] {
    set title panel(m) noenhanced
    plot 1 with lines lc rgb '#000000' dt 2 title 'dense (1x)', \
      for [f in "ttm tucker cp"] 'table1.csv' skip 1 using 7:(sel(m, f, 'manual')) with points pt 4 ps 1.6 lw 2 \
        lc rgb value(f) title sprintf('%s manual', f), \
      for [f in "ttm tucker cp"] 'table1.csv' skip 1 using 7:(sel(m, f, 'heuristic')) with points pt 8 ps 1.6 lw 2 \
        lc rgb value(f) title sprintf('%s heuristic', f), \
      for [f in "ttm tucker cp"] 'table1.csv' skip 1 using 7:(sel(m, f, 'searched')) with points pt 7 ps 1.5 \
        lc rgb value(f) title sprintf('%s searched (a1-a3)', f), \
      for [f in "ttm tucker cp"] 'paper.csv' skip 2 using 3:(m eq 'bert-base' ? ppr(f) : NaN) \
        with linespoints pt 12 ps 2 dt 3 lc rgb value(f) title sprintf('%s HEAT paper, BERT-base (a1-a3)', f)
  }
  unset multiplot
  unset output
}
