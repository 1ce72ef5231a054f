insert into bench_rows (tenant, payload) select 'tn_bench', repeat('x', 200) from generate_series(1, 50);
