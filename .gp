set terminal pngcairo size 800,560 noenhanced
set output '.png.tmp'
set key left top
set grid
set xlabel 'run.B@xy'
set ylabel 'sigma^(2) per unit B^2 (e^2/hbar)'
set title 'Planar Hall effect of one Weyl node (rule rta, E along x)'
plot '.tsv' using 1:2:3 with yerrorlines title 'xx', '.tsv' using 1:4:5 with yerrorlines title 'yx'
unset output
set terminal svg size 800,560 noenhanced
set output '.svg.tmp'
set key left top
set grid
set xlabel 'run.B@xy'
set ylabel 'sigma^(2) per unit B^2 (e^2/hbar)'
set title 'Planar Hall effect of one Weyl node (rule rta, E along x)'
plot '.tsv' using 1:2:3 with yerrorlines title 'xx', '.tsv' using 1:4:5 with yerrorlines title 'yx'
unset output
