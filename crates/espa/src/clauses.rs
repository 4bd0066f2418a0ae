//! The agreement's standard clauses (condensed from the Schedule H form), in Malay.
//! `{developer}`, `{unit}`, `{project}` and `{price}` are filled in from the document.

/// The recitals ("BAHAWASANYA") before the parties' agreement.
pub(crate) const RECITALS: &[&str] = &[
    "BAHAWASANYA Pemaju ialah pemaju perumahan berlesen di bawah Akta Pemajuan Perumahan (Kawalan dan Pelesenan) 1966 dan memegang permit iklan dan jualan yang sah bagi pemajuan {project} (Kod Pemajuan {code}).",
    "DAN BAHAWASANYA Pemaju ialah tuan punya berdaftar dan benefisial, atau telah diberi kuasa oleh tuan punya berdaftar tanah pemajuan, untuk memajukan tanah tersebut menjadi suatu pemajuan perumahan yang mengandungi petak-petak kediaman strata.",
    "DAN BAHAWASANYA pelan bangunan bagi pemajuan ini telah diluluskan oleh pihak berkuasa tempatan yang berkenaan, dan Pemaju telah memulakan pembinaan bangunan mengikut pelan yang diluluskan itu.",
    "DAN BAHAWASANYA Pembeli, setelah memeriksa pelan lokasi, pelan petak dan spesifikasi bangunan yang dilampirkan, berhasrat untuk membeli Petak {unit} dan Pemaju bersetuju untuk menjualnya tertakluk kepada terma dan syarat Perjanjian ini.",
    "MAKA DENGAN INI PERJANJIAN INI MENYAKSIKAN bahawa sebagai balasan kepada Harga Belian dan janji-janji bersama yang terkandung di dalam Perjanjian ini, pihak-pihak bersetuju seperti berikut.",
];

/// The building specification schedule: element and what it is made of.
pub(crate) const SPECIFICATION: &[(&str, &str)] = &[
    ("Struktur", "Kerangka konkrit bertetulang"),
    ("Dinding", "Bata atau blok konkrit, dilepa dan dicat"),
    (
        "Bumbung",
        "Papak konkrit bertetulang dengan lapisan kalis air",
    ),
    ("Siling", "Papan gipsum dan lepa skim, dicat"),
    ("Tingkap", "Bingkai aluminium dengan kaca berwarna"),
    (
        "Pintu",
        "Pintu utama kayu padu; pintu dalaman papan lapis berlamina",
    ),
    (
        "Kemasan lantai",
        "Jubin seramik di ruang tamu, bilik tidur, dapur dan bilik air",
    ),
    (
        "Kemasan dinding",
        "Cat emulsi; jubin seramik hingga paras 1.5 meter di bilik air dan dapur",
    ),
    (
        "Kelengkapan sanitari",
        "Tandas duduk, sinki, pancuran mandi dan paip air di setiap bilik air",
    ),
    (
        "Pendawaian elektrik",
        "Mengikut piawaian Suruhanjaya Tenaga; 14 titik lampu dan 12 soket",
    ),
    (
        "Telekomunikasi",
        "Kabel gentian optik ke dalam Petak dengan titik akses di ruang tamu",
    ),
    (
        "Keselamatan kebakaran",
        "Pengesan asap, sistem pemercik dan tangga kecemasan mengikut kelulusan Bomba",
    ),
    (
        "Kemudahan bersama",
        "Kolam renang, gimnasium, taman permainan, surau dan dewan serbaguna",
    ),
    (
        "Tempat letak kereta",
        "Dua (2) petak aksesori tempat letak kereta di tingkat podium",
    ),
];

pub(crate) const CLAUSES: &[(&str, &[&str])] = &[
    (
        "Tafsiran",
        &[
            "Dalam Perjanjian ini, melainkan konteksnya menghendaki makna yang lain, \"Pemaju\" ertinya {developer}, \"Pembeli\" ertinya setiap orang yang dinamakan sebagai pembeli di Halaman Tandatangan, \"Petak\" ertinya unit {unit} dalam pemajuan {project} dan \"Harga Belian\" ertinya {price}.",
            "Perkataan yang menunjukkan bilangan tunggal termasuklah bilangan jamak dan sebaliknya; tajuk fasal adalah untuk memudahkan rujukan sahaja dan tidak menjejaskan tafsiran Perjanjian ini.",
        ],
    ),
    (
        "Perjanjian untuk menjual dan membeli",
        &[
            "Pemaju bersetuju untuk menjual dan Pembeli bersetuju untuk membeli Petak tersebut bebas daripada segala bebanan kecuali yang dinyatakan dalam Perjanjian ini, pada Harga Belian dan tertakluk kepada terma dan syarat yang terkandung di dalam Perjanjian ini.",
        ],
    ),
    (
        "Harga Belian dan cara pembayaran",
        &[
            "Harga Belian hendaklah dibayar oleh Pembeli kepada Pemaju mengikut ansuran dan pada masa yang dinyatakan dalam Jadual Bayaran. Setiap ansuran hendaklah dibayar dalam tempoh dua puluh satu (21) hari dari tarikh penerimaan notis bertulis Pemaju yang disertakan dengan perakuan arkitek atau jurutera yang menyelia pembinaan.",
            "Semua bayaran hendaklah dibuat ke Akaun Pemajuan Perumahan yang diselenggara oleh Pemaju di bawah Akta Pemajuan Perumahan (Kawalan dan Pelesenan) 1966, dan resit rasmi hendaklah dikeluarkan bagi setiap bayaran yang diterima.",
        ],
    ),
    (
        "Faedah atas bayaran lewat",
        &[
            "Jika mana-mana ansuran tidak dibayar dalam tempoh yang ditetapkan, Pembeli hendaklah membayar faedah ke atas ansuran yang tertunggak itu pada kadar sepuluh peratus (10%) setahun yang dikira dari hari ke hari dari tarikh tamat tempoh tersebut sehingga tarikh bayaran penuh diterima oleh Pemaju.",
        ],
    ),
    (
        "Pembiayaan",
        &[
            "Jika Pembeli bercadang untuk mendapatkan pinjaman bagi membiayai sebahagian Harga Belian, Pemaju hendaklah memberikan segala kerjasama yang munasabah, termasuk menandatangani dokumen yang dikehendaki oleh pembiaya, dan Pembeli hendaklah memastikan pembiaya membayar ansuran terus kepada Pemaju mengikut Jadual Bayaran.",
        ],
    ),
    (
        "Bebanan",
        &[
            "Pemaju tidak boleh, selepas tarikh Perjanjian ini, menggadaikan atau membebankan Petak atau tanah pemajuan tanpa persetujuan bertulis Pembeli, kecuali bagi tujuan mendapatkan pembiayaan bridging bagi pemajuan ini, dan dalam hal sedemikian Pemaju hendaklah mendapatkan pelepasan bebanan sebelum penyerahan milikan kosong.",
        ],
    ),
    (
        "Pembinaan mengikut pelan dan spesifikasi",
        &[
            "Petak hendaklah dibina dengan cara yang baik dan mengikut pelan yang diluluskan oleh pihak berkuasa berkenaan serta spesifikasi yang dilampirkan. Pemaju tidak boleh membuat apa-apa perubahan atau tambahan kepada Petak tanpa persetujuan bertulis Pembeli, melainkan perubahan itu dikehendaki oleh pihak berkuasa berkenaan.",
            "Pemaju hendaklah menanggung semua kos bagi kerja-kerja infrastruktur termasuk jalan, longkang, pembetungan, bekalan air dan elektrik yang diperlukan bagi pemajuan ini.",
        ],
    ),
    (
        "Penyerahan milikan kosong",
        &[
            "Milikan kosong Petak hendaklah diserahkan kepada Pembeli dalam tempoh tiga puluh enam (36) bulan dari tarikh Perjanjian ini, bersama-sama bekalan air dan elektrik yang telah sedia untuk disambungkan, dan Perakuan Siap dan Pematuhan yang telah dikeluarkan.",
            "Jika Pemaju gagal menyerahkan milikan kosong dalam tempoh tersebut, Pemaju hendaklah membayar ganti rugi tertentu kepada Pembeli yang dikira dari hari ke hari pada kadar sepuluh peratus (10%) setahun daripada Harga Belian, bermula dari tarikh tamat tempoh tersebut hingga tarikh Pembeli mengambil milikan kosong.",
        ],
    ),
    (
        "Kecacatan",
        &[
            "Apa-apa kecacatan, kekurangan atau kerosakan pada Petak yang berpunca daripada mutu kerja atau bahan yang rosak, yang menjadi nyata dalam tempoh dua puluh empat (24) bulan selepas penyerahan milikan kosong, hendaklah dibaiki oleh Pemaju atas kos Pemaju sendiri dalam tempoh tiga puluh (30) hari dari penerimaan notis bertulis Pembeli.",
            "Jika Pemaju gagal membaiki kecacatan tersebut, Pembeli berhak membaikinya sendiri dan menuntut kos pembaikan itu daripada Pemaju, atau menolaknya daripada amaun yang dipegang oleh peguam cara Pemaju sebagai pemegang amanah.",
        ],
    ),
    (
        "Hakmilik strata",
        &[
            "Pemaju hendaklah, atas kos dan perbelanjaannya sendiri, mengambil segala langkah untuk mendapatkan hakmilik strata bagi Petak dan memindahkan hakmilik itu kepada Pembeli dalam tempoh yang ditetapkan oleh undang-undang bertulis berkaitan hakmilik strata.",
        ],
    ),
    (
        "Penyenggaraan dan perkhidmatan",
        &[
            "Pembeli hendaklah membayar caj penyenggaraan dan sumbangan kepada kumpulan wang penjelas mengikut kadar yang ditentukan di bawah undang-undang pengurusan strata, bermula dari tarikh penyerahan milikan kosong Petak.",
        ],
    ),
    (
        "Tandatangan digital",
        &[
            "Pihak-pihak bersetuju bahawa Perjanjian ini boleh dimeterai secara elektronik melalui Sistem Pengurusan Perumahan Bersepadu (HIMS). Setiap tandatangan digital dibuat dengan sijil digital yang dikeluarkan kepada pihak berkenaan selepas pengesahan eKYC, dan disahkan dengan PIN sijil digital serta kod TOTP atau kod pengesahan e-mel.",
            "Tandatangan digital yang dibuat sedemikian mempunyai kesan yang sama seperti tandatangan tangan menurut Akta Tandatangan Digital 1997, dan nombor siri eSPA serta kod QR pada dokumen ini boleh digunakan untuk menyemak kesahihan setiap tandatangan.",
        ],
    ),
    (
        "Notis",
        &[
            "Sebarang notis di bawah Perjanjian ini hendaklah dibuat secara bertulis dan boleh dihantar melalui pos berdaftar ke alamat pihak berkenaan atau melalui e-mel yang didaftarkan dalam Sistem HIMS, dan dianggap telah diterima pada hari kedua selepas penghantarannya.",
        ],
    ),
    (
        "Akses dan pemeriksaan",
        &[
            "Pembeli, dengan notis munasabah kepada Pemaju, boleh memasuki tapak pembinaan pada waktu bekerja untuk memeriksa kemajuan kerja pembinaan Petak, dengan syarat Pembeli mematuhi segala arahan keselamatan di tapak.",
        ],
    ),
    (
        "Perubahan pelan dan spesifikasi",
        &[
            "Tiada perubahan kepada pelan petak atau spesifikasi bangunan boleh dibuat tanpa kelulusan pihak berkuasa berkenaan dan persetujuan bertulis Pembeli. Jika perubahan mengurangkan keluasan Petak, Harga Belian hendaklah dikurangkan secara berkadar.",
        ],
    ),
    (
        "Kemudahan bersama dan harta bersama",
        &[
            "Pemaju hendaklah menyiapkan semua kemudahan bersama yang dinyatakan dalam spesifikasi bangunan sebelum atau pada tarikh penyerahan milikan kosong, dan hendaklah menyerahkan pengurusan harta bersama kepada Badan Pengurusan Bersama mengikut undang-undang pengurusan strata.",
            "Pembeli berhak menggunakan harta bersama bersama-sama dengan pembeli petak-petak lain dalam pemajuan ini, tertakluk kepada undang-undang kecil yang dibuat oleh Badan Pengurusan Bersama.",
        ],
    ),
    (
        "Cukai dan bayaran",
        &[
            "Cukai tanah, cukai pintu dan segala bayaran lain berkenaan Petak hendaklah ditanggung oleh Pemaju sehingga tarikh penyerahan milikan kosong, dan selepas itu oleh Pembeli secara berkadar.",
        ],
    ),
    (
        "Penamatan oleh Pemaju",
        &[
            "Jika Pembeli gagal membayar mana-mana ansuran bersama faedah dalam tempoh dua puluh delapan (28) hari selepas notis tuntutan yang kedua, Pemaju boleh menamatkan Perjanjian ini melalui notis bertulis. Dalam hal sedemikian Pemaju berhak menahan jumlah yang tidak melebihi sepuluh peratus (10%) daripada Harga Belian dan hendaklah memulangkan baki bayaran Pembeli tanpa faedah dalam tempoh tiga puluh (30) hari.",
        ],
    ),
    (
        "Pengecualian liabiliti",
        &[
            "Pemaju tidak bertanggungan atas kelewatan yang disebabkan oleh perkara di luar kawalan munasabahnya seperti bencana alam atau perintah pihak berkuasa, dengan syarat Pemaju memberi notis bertulis kepada Pembeli dengan segera dan kelewatan itu diperakui oleh arkitek yang menyelia pembinaan.",
        ],
    ),
    (
        "Kos guaman dan duti setem",
        &[
            "Setiap pihak hendaklah menanggung kos guaman masing-masing berkenaan Perjanjian ini. Duti setem ke atas Perjanjian ini dan dokumen pindah milik hendaklah ditanggung oleh Pembeli.",
        ],
    ),
    (
        "Perlindungan data peribadi",
        &[
            "Pihak-pihak bersetuju bahawa data peribadi yang diberikan bagi tujuan Perjanjian ini, termasuk data pengesahan eKYC dan sijil digital, diproses oleh Jabatan Perumahan Negara dan Pemaju menurut Akta Perlindungan Data Peribadi 2010 hanya bagi tujuan pelaksanaan Perjanjian ini dan penyelenggaraan rekod yang dikehendaki oleh undang-undang.",
        ],
    ),
    (
        "Pengganti dan serah hak",
        &[
            "Perjanjian ini mengikat waris, wakil diri, pengganti hakmilik dan penerima serah hak yang dibenarkan bagi pihak-pihak. Pembeli tidak boleh menyerah hak Perjanjian ini sebelum penyerahan milikan kosong tanpa persetujuan bertulis Pemaju, yang tidak boleh ditahan secara tidak munasabah.",
        ],
    ),
    (
        "Undang-undang yang mengawal",
        &[
            "Perjanjian ini hendaklah ditadbir oleh dan ditafsirkan mengikut undang-undang Malaysia, dan pihak-pihak tertakluk kepada bidang kuasa Tribunal Tuntutan Pembeli Rumah serta mahkamah Malaysia.",
        ],
    ),
];
