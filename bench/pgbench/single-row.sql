insert into bench_rows (tenant, payload) values ('tn_bench', repeat('x', 200));
